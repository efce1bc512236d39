// SPDX-License-Identifier: Apache-2.0
// File: pkcs11_key_test.cc: keys in a real SoftHSM2 token made in a temp dir: URIs (RFC 7512),
// generation, signatures through OpenSSL, the one-line errors, an outage and the recovery.
#include "crypto/pkcs11_key.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "crypto/cert_builder.h"
#include "crypto/csr.h"
#include "crypto/external_key.h"
#include "testlib/temp_dir.h"

namespace anchor::crypto {
namespace {

constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";

// SoftHsmTest gives each test its own SoftHSM2 token directory with one token, "anchor-test"
// (user PIN 1234), made by softhsm2-util as an operator would.
class SoftHsmTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (!std::filesystem::exists(kModule)) {
      GTEST_SKIP() << "SoftHSM2 is not installed (apt-get install softhsm2; make setup does)";
    }
    std::filesystem::create_directories(Path("tokens"));
    std::ofstream(Path("softhsm2.conf")) << "directories.tokendir = " << Path("tokens")
                                         << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", Path("softhsm2.conf").c_str(), 1);
    const std::string init =
        "softhsm2-util --init-token --free --label anchor-test --so-pin 5678 --pin 1234 "
        ">/dev/null";
    ASSERT_EQ(std::system(init.c_str()), 0);
    SetPkcs11Pin("1234");
  }

  Pkcs11KeyUri Uri(const std::string& object) const {
    auto uri =
        ParsePkcs11KeyUri("pkcs11:token=anchor-test;object=" + object + "?module-path=" + kModule);
    EXPECT_TRUE(uri) << uri.error().message();
    return *uri;
  }

  static Result<Certificate> SelfSign(const PrivateKey& key) {
    CertTemplate t;
    t.serial = {0x01, 0x02};
    t.common_name = "token test";
    t.not_before = std::chrono::system_clock::now() - std::chrono::minutes(1);
    t.not_after = std::chrono::system_clock::now() + std::chrono::hours(1);
    t.is_ca = true;
    t.key_usage = kKeyCertSign | kCrlSign;
    t.authority_key_id = false;
    return SignCertificate(t, key.Public(), nullptr, key);
  }
};

TEST(Pkcs11UriTest, ParsesTheKeyAndRoundTrips) {
  auto uri = ParsePkcs11KeyUri(
      "pkcs11:token=My%20HSM;object=ca-key;id=%01%02;type=private?module-path=/usr/lib/m.so");
  ASSERT_TRUE(uri) << uri.error().message();
  EXPECT_EQ(uri->token, "My HSM");
  EXPECT_EQ(uri->object, "ca-key");
  EXPECT_EQ(uri->id, (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(uri->module_path, "/usr/lib/m.so");
  auto again = ParsePkcs11KeyUri(uri->ToString());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->ToString(), uri->ToString());
  EXPECT_EQ(uri->ToString(),
            "pkcs11:token=My%20HSM;object=ca-key;id=%01%02;type=private?module-path=/usr/lib/m.so");
}

TEST(Pkcs11UriTest, TakesTheSchemeInAnyCaseAndBlanksAround) {
  auto uri = ParsePkcs11KeyUri("  PKCS11:token=t;object=k\n");
  ASSERT_TRUE(uri) << uri.error().message();
  EXPECT_EQ(uri->object, "k");
  EXPECT_TRUE(IsPkcs11Uri(" Pkcs11:token=t"));
  EXPECT_FALSE(IsPkcs11Uri("-----BEGIN PRIVATE KEY-----"));
}

TEST(Pkcs11UriTest, RefusesWhatCannotNameOneKeySafely) {
  struct Case {
    const char* uri;
    const char* says;
  } cases[] = {
      {"pkcs11:token=t;object=k;pin-value=1234", "pin-value"},
      {"pkcs11:token=t;object=k?pin-value=1234", "pin-value"},
      {"pkcs11:object=k", "names no token"},
      {"pkcs11:token=t", "names no key"},
      {"pkcs11:token=t;object=k;type=cert", "not a private key"},
      {"pkcs11:token=t;object=k;colour=blue", "does not know"},
      {"pkcs11:token=t;object=%zz", "cannot parse"},
      {"file:/etc/key.pem", "not a PKCS#11 URI"},
      {"pkcs11:token=t;object=nul%00x", "control character"},
      {"pkcs11:token=t;object=line%0Abreak", "control character"},
      {"pkcs11:token=t;object=k?module-name=softhsm2", "module-name"},
      {"pkcs11:token=t;object=k?pin-source=pin.txt", "absolute path"},
      {"pkcs11:token=t;object=my key", "%20"},
      {"pkcs11:token=t;object=k;module-path=/m.so", "belongs in the query"},
  };
  for (const Case& c : cases) {
    auto uri = ParsePkcs11KeyUri(c.uri);
    ASSERT_FALSE(uri) << c.uri;
    EXPECT_EQ(uri.error().code(), Code::kInvalidArgument) << c.uri;
    EXPECT_NE(uri.error().message().find(c.says), std::string::npos) << uri.error().message();
    EXPECT_EQ(uri.error().message().find('\n'), std::string::npos) << uri.error().message();
  }
}

TEST_F(SoftHsmTest, GeneratesAKeyThatSignsInTheToken) {
  auto made = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(made->uri.id.size(), 16u);  // a random CKA_ID names it alone
  ASSERT_NE(ExternalSigner(made->key), nullptr);
  EXPECT_EQ(made->key.Type(), KeyType::kEcP256);
  auto cert = SelfSign(made->key);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_TRUE(cert->VerifySignedBy(made->key.Public()));
  // The key has no value anchor could write out.
  auto pem = made->key.ToPkcs8Pem();
  ASSERT_FALSE(pem);
  EXPECT_EQ(pem.error().code(), Code::kFailedPrecondition);

  // Opened again from its stored URI, it is the same key.
  auto opened = OpenPkcs11Key(*ParsePkcs11KeyUri(made->uri.ToString()));
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_TRUE(opened->Public().Equals(made->key.Public()));
  auto csr = Csr::Create(*opened, "device-1", {});
  ASSERT_TRUE(csr) << csr.error().message();
  EXPECT_TRUE(csr->VerifySignature());
}

TEST_F(SoftHsmTest, P384KeysSignWithSha384) {
  auto made = GeneratePkcs11Key(Uri("ca384"), KeyType::kEcP384);
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(made->key.Type(), KeyType::kEcP384);
  auto cert = SelfSign(made->key);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_TRUE(cert->VerifySignedBy(made->key.Public()));
}

TEST_F(SoftHsmTest, NeverTakesOverAKeyItDidNotMake) {
  ASSERT_TRUE(GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256));
  auto again = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
  auto rsa = GeneratePkcs11Key(Uri("rsa"), KeyType::kRsa2048);
  ASSERT_FALSE(rsa);
  EXPECT_EQ(rsa.error().code(), Code::kInvalidArgument);
}

TEST_F(SoftHsmTest, ErrorsNameTheTokenInOneLine) {
  // The key made is let go first: a PKCS#11 login holds for the whole process while any key of
  // the module is open, so a wrong PIN would then not be asked for.
  Pkcs11KeyUri uri;
  {
    auto made = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
    ASSERT_TRUE(made);
    uri = made->uri;
  }
  struct Case {
    std::function<Result<PrivateKey>()> open;
    Code code;
    const char* says;
  } cases[] = {
      {[&] {
         SetPkcs11Pin("0000");
         return OpenPkcs11Key(uri);
       },
       Code::kUnauthenticated, "PIN"},
      {[&] {
         SetPkcs11Pin("");
         return OpenPkcs11Key(uri);
       },
       Code::kFailedPrecondition, "--pin-file"},
      {[&] {
         SetPkcs11Pin("1234");
         return OpenPkcs11Key(Uri("nothing-here"));
       },
       Code::kNotFound, "does not exist"},
      {[&] {
         Pkcs11KeyUri other = uri;
         other.token = "no-such-token";
         return OpenPkcs11Key(other);
       },
       Code::kNotFound, "anchor-test"},  // lists the tokens that are there
      {[&] {
         Pkcs11KeyUri other = uri;
         other.module_path = "/nonexistent/libpkcs11.so";
         return OpenPkcs11Key(other);
       },
       Code::kInvalidArgument, "module"},
  };
  for (const Case& c : cases) {
    auto key = c.open();
    ASSERT_FALSE(key) << c.says;
    EXPECT_EQ(key.error().code(), c.code) << key.error().message();
    EXPECT_NE(key.error().message().find(c.says), std::string::npos) << key.error().message();
    EXPECT_EQ(key.error().message().find('\n'), std::string::npos) << key.error().message();
  }
}

TEST_F(SoftHsmTest, AGoneTokenIsUnavailableAndTakenUpWhenBack) {
  auto made = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
  ASSERT_TRUE(made);
  ASSERT_TRUE(SelfSign(made->key));
  std::filesystem::rename(Path("tokens"), Path("tokens.away"));
  auto during = SelfSign(made->key);
  ASSERT_FALSE(during);
  EXPECT_EQ(during.error().code(), Code::kUnavailable) << during.error().message();
  EXPECT_NE(during.error().message().find("anchor-test"), std::string::npos)
      << during.error().message();
  std::filesystem::rename(Path("tokens.away"), Path("tokens"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the reload pause
  auto after = SelfSign(made->key);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_TRUE(after->VerifySignedBy(made->key.Public()));
}

TEST_F(SoftHsmTest, SignsFromManyThreads) {
  auto made = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
  ASSERT_TRUE(made);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto cert = SelfSign(made->key);
        if (!cert || !cert->VerifySignedBy(made->key.Public())) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

// Tool runs pkcs11-tool (opensc) on the test's token, as an operator would.
int Tool(const std::string& args) {
  return std::system(("pkcs11-tool --module " + std::string(kModule) +
                      " --token-label anchor-test --login --pin 1234 " + args + " >/dev/null 2>&1")
                         .c_str());
}

TEST_F(SoftHsmTest, RefusesAKeyWhosePublicObjectIsAnotherKeys) {
  // Two pairs made by pkcs11-tool; then pair b's public object is replaced by pair a's.
  ASSERT_EQ(Tool("--keypairgen --key-type EC:prime256v1 --label a --id 01"), 0);
  ASSERT_EQ(Tool("--keypairgen --key-type EC:prime256v1 --label b --id 02"), 0);
  ASSERT_EQ(Tool("--read-object --type pubkey --id 01 -o " + Path("a.der")), 0);
  ASSERT_EQ(Tool("--delete-object --type pubkey --id 02"), 0);
  ASSERT_EQ(Tool("--write-object " + Path("a.der") + " --type pubkey --id 02 --label b"), 0);
  auto swapped = OpenPkcs11Key(Uri("b"));
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(swapped.error().message().find("do not match"), std::string::npos)
      << swapped.error().message();
  EXPECT_TRUE(OpenPkcs11Key(Uri("a")));  // the untouched pair opens
}

TEST_F(SoftHsmTest, NeverMakesAKeyBesideAnotherObjectOfItsName) {
  // A public key object labelled "foreign" (not made by anchor): generation is refused, and
  // the object stays.
  ASSERT_EQ(Tool("--keypairgen --key-type EC:prime256v1 --label donor --id 05"), 0);
  ASSERT_EQ(Tool("--read-object --type pubkey --id 05 -o " + Path("p.der")), 0);
  ASSERT_EQ(Tool("--write-object " + Path("p.der") + " --type pubkey --id 43 --label foreign"), 0);
  auto made = GeneratePkcs11Key(Uri("foreign"), KeyType::kEcP256);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(Tool("--read-object --type pubkey --label foreign -o " + Path("still.der")), 0);
  EXPECT_TRUE(std::filesystem::exists(Path("still.der")));
}

TEST_F(SoftHsmTest, TwoTokensOfOneLabelAreNamedBySerial) {
  ASSERT_EQ(std::system("softhsm2-util --init-token --free --label anchor-test --so-pin 5678 "
                        "--pin 1234 >/dev/null"),
            0);
  auto ambiguous = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message().find("add serial="), std::string::npos)
      << ambiguous.error().message();
}

TEST_F(SoftHsmTest, ARefusedPinIsNotTriedAgain) {
  // The PIN comes from a pin-source file; while the token is away the file changes to a wrong
  // PIN; back, the login is refused once and then no more (a hardware token would lock).
  std::ofstream(Path("pin")) << "1234\n";
  SetPkcs11Pin("");
  Pkcs11KeyUri uri = Uri("ca");
  uri.pin_source = Path("pin");
  auto made = GeneratePkcs11Key(uri, KeyType::kEcP256);
  ASSERT_TRUE(made) << made.error().message();
  ASSERT_TRUE(SelfSign(made->key));
  std::filesystem::rename(Path("tokens"), Path("tokens.away"));
  EXPECT_FALSE(SelfSign(made->key));
  std::ofstream(Path("pin")) << "0000\n";
  std::filesystem::rename(Path("tokens.away"), Path("tokens"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto refused = SelfSign(made->key);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("stops logging in"), std::string::npos)
      << refused.error().message();
  // Even with the right PIN back in the file: no further login until a restart.
  std::ofstream(Path("pin")) << "1234\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto still = SelfSign(made->key);
  ASSERT_FALSE(still);
  EXPECT_NE(still.error().message().find("stops logging in"), std::string::npos);
}

TEST_F(SoftHsmTest, DestroyRemovesBothHalves) {
  auto made = GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256);
  ASSERT_TRUE(made);
  ASSERT_TRUE(DestroyPkcs11Key(made->uri));
  auto gone = OpenPkcs11Key(made->uri);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kNotFound);
  EXPECT_TRUE(GeneratePkcs11Key(Uri("ca"), KeyType::kEcP256));  // the label is free again
}

}  // namespace
}  // namespace anchor::crypto
