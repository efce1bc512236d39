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
