// SPDX-License-Identifier: Apache-2.0
// File: tpm_attestor_test.cc: the device's side of TPM attestation (crypto/tpm_attestor.h)
// against a real software TPM (swtpm) manufactured with an EK certificate by
// tests/data/tpm/manufacture.sh: its evidence checked by the verifier's side
// (crypto/tpm_attestation.h), its key loaded by tpm2-openssl (crypto/tpm2_key.h), and the TPM's
// transient object slots given back, as tpm2-tools sees them.
#include "crypto/tpm_attestor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "core/file_io.h"
#include "core/subprocess.h"
#include "crypto/certificate.h"
#include "crypto/chain_verifier.h"
#include "crypto/crypto_rng.h"
#include "crypto/csr.h"
#include "crypto/tpm2_key.h"
#include "crypto/tpm_attestation.h"
#include "testlib/matchers.h"
#include "testlib/swtpm.h"
#include "testlib/temp_dir.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;

class TpmAttestorTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (FindProgram("swtpm").empty() || FindProgram("swtpm_setup").empty()) {
      GTEST_SKIP() << "swtpm or swtpm-tools is not installed (make setup installs them)";
    }
    Manufacture("tpm");
  }
  void TearDown() override {
    SetTpm2Tcti("");
    if (tpm_) {
      tpm_->Stop();
    }
    TempDirTest::TearDown();
  }

  // Manufacture makes a TPM with an EK certificate in `dir` and starts it.
  void Manufacture(const char* dir) {
    ASSERT_NO_FATAL_FAILURE(ManufactureOnly(dir));
    StartOn(dir);
  }
  void ManufactureOnly(const char* dir) {
    ASSERT_EQ(std::system(("bash " + std::string(ANCHOR_TEST_DATA) + "/tpm/manufacture.sh " +
                           Path(dir) + " >/dev/null")
                              .c_str()),
              0);
  }
  // Maker is the manufacturer CA of the TPM made in `dir`: its root, then its issuing CA.
  std::vector<Certificate> Maker(const char* dir) const {
    auto pem = ReadFile(Path(dir) + "/manufacturer.pem");
    EXPECT_TRUE(pem) << pem.error().message();
    auto certs = Certificate::ParseAll(pem ? *pem : "");
    EXPECT_TRUE(certs && certs->size() == 2u);
    return certs ? *certs : std::vector<Certificate>{};
  }
  void StartOn(const char* dir) {
    std::string why;
    tpm_ = testing::Swtpm::Start(Path(dir), &why);
    ASSERT_TRUE(tpm_) << why;
  }

  TpmAttestor Open() {
    auto attestor = TpmAttestor::Open(tpm_->Tcti());
    EXPECT_TRUE(attestor) << attestor.error().message();
    return std::move(attestor).value();
  }

  // Tools runs a tpm2-tools command on the TPM (no attestor may be open: swtpm serves one
  // connection at a time) and returns what it printed; -1 exit when tpm2-tools is missing.
  CommandResult Tools(std::vector<std::string> argv) const {
    auto run = RunCommand(argv, std::chrono::seconds(20), {"TPM2TOOLS_TCTI=" + tpm_->Tcti()});
    if (!run) {
      return {-1, run.error().message()};
    }
    return *run;
  }

  // Leftovers lists the TPM's transient objects and loaded sessions (tpm2_getcap): empty when
  // every object and session a client loaded was flushed.
  std::string Leftovers() const {
    std::string out;
    for (const char* kind : {"handles-transient", "handles-loaded-session"}) {
      const CommandResult r = Tools({"tpm2_getcap", kind});
      EXPECT_EQ(r.exit_code, 0) << r.output;
      out += r.output;
    }
    return out;
  }

  // Endorsement is what the verifier sees of the TPM: its EK certificate and its AK.
  struct Endorsement {
    Certificate ek;
    TpmPublic ak;
  };
  static std::optional<Endorsement> Endorsed(TpmAttestor& attestor) {
    auto ek_der = attestor.EndorsementCertificate();
    auto ak_public = attestor.AttestationKeyPublic();
    EXPECT_TRUE(ek_der && ak_public);
    auto ek = Certificate::FromDer(ek_der ? *ek_der : std::vector<uint8_t>{});
    auto ak = ParseTpmPublic(ak_public ? *ak_public : std::vector<uint8_t>{});
    EXPECT_TRUE(ek && ak);
    if (!ek || !ak) {
      return std::nullopt;
    }
    return Endorsement{*std::move(ek), *std::move(ak)};
  }

  static std::vector<uint8_t> RandomBytes(size_t n) {
    std::vector<uint8_t> out(n);
    CryptoRng rng;
    EXPECT_TRUE(rng.Fill(out));
    return out;
  }

  std::optional<testing::Swtpm> tpm_;
};

TEST_F(TpmAttestorTest, EndorsementCertificateIsTheMakersRsa2048Certificate) {
  TpmAttestor attestor = Open();
  auto der = attestor.EndorsementCertificate();
  ASSERT_TRUE(der) << der.error().message();
  auto cert = Certificate::FromDer(*der);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_TRUE(cert->GetPublicKey().IsRsa());
  EXPECT_EQ(cert->GetPublicKey().Bits(), 2048);
  const std::vector<Certificate> maker = Maker("tpm");
  ASSERT_EQ(maker.size(), 2u);
  VerifyOptions options;
  options.trusted = {maker[0]};
  options.untrusted = {maker[1]};
  // An EK certificate has an empty subject and a critical SAN naming the TPM (TCG EK
  // Credential Profile 3.2.9), which OpenSSL's strict mode does not take.
  options.strict = false;
  auto verdict = ValidatePath(*cert, options);
  ASSERT_TRUE(verdict) << verdict.error().message();
  EXPECT_TRUE(verdict->Ok()) << verdict->failure->Message();
  // Another maker's CA (another swtpm_localca) did not certify it.
  ASSERT_NO_FATAL_FAILURE(ManufactureOnly("other"));
  const std::vector<Certificate> other = Maker("other");
  ASSERT_EQ(other.size(), 2u);
  options.trusted = {other[0]};
  options.untrusted = {other[1]};
  auto refused = ValidatePath(*cert, options);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->Ok());
}

TEST_F(TpmAttestorTest, ATpmWithoutEkCertificateSaysSo) {
  tpm_->Stop();
  std::filesystem::create_directories(Path("blank"));
  StartOn("blank");  // a TPM no maker provisioned
  TpmAttestor attestor = Open();
  auto der = attestor.EndorsementCertificate();
  ASSERT_THAT(der, ErrorIs(Code::kFailedPrecondition));
  EXPECT_NE(der.error().message().find("no endorsement key certificate at NV 0x01c00002"),
            std::string::npos)
      << der.error().message();
}

// The whole round a device and its CA make: the CA challenges the AK with a credential for the
// EK of the certificate, the device answers it and has a new key certified by the AK with the
// secret, and the key it keeps is one tpm2-openssl loads and signs with.
TEST_F(TpmAttestorTest, FullRoundEndsWithACertifiedKeyTpm2OpensslLoads) {
  CertifiedKey certified;
  std::optional<TpmPublic> ak;
  std::vector<uint8_t> secret = RandomBytes(32);
  {
    TpmAttestor attestor = Open();
    auto ek_der = attestor.EndorsementCertificate();
    ASSERT_TRUE(ek_der) << ek_der.error().message();
    auto ek = Certificate::FromDer(*ek_der);
    ASSERT_TRUE(ek);
    auto ak_public = attestor.AttestationKeyPublic();
    ASSERT_TRUE(ak_public) << ak_public.error().message();
    auto ak_parsed = ParseTpmPublic(*ak_public);
    ASSERT_TRUE(ak_parsed) << ak_parsed.error().message();
    ak = *ak_parsed;
    EXPECT_TRUE(ak->restricted && ak->sign && ak->fixed_tpm && ak->fixed_parent &&
                ak->sensitive_data_origin);
    EXPECT_EQ(ak->key.Description(), "ec-p256");

    // The verifier's side.
    auto cred = MakeCredential(ek->GetPublicKey(), ak->name, secret);
    ASSERT_TRUE(cred) << cred.error().message();
    // The device's side.
    auto recovered = attestor.ActivateCredential(*cred);
    ASSERT_TRUE(recovered) << recovered.error().message();
    EXPECT_EQ(*recovered, secret);

    auto made = attestor.CreateCertifiedKey(KeyType::kEcP256, *recovered);
    ASSERT_TRUE(made) << made.error().message();
    certified = *made;
  }
  auto key = ParseTpmPublic(certified.key_public);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_FALSE(key->restricted);
  EXPECT_TRUE(key->sign && key->fixed_tpm && key->fixed_parent && key->sensitive_data_origin);
  EXPECT_NE(key->attributes & 0x400u, 0u);  // TPMA_OBJECT noDA (Part 2 8.3.2)
  Status verified = VerifyCertification(certified.attest, certified.signature, *ak, *key, secret);
  EXPECT_TRUE(verified) << verified.error().message();
  // With another challenge it is not this enrollment's.
  EXPECT_THAT(
      VerifyCertification(certified.attest, certified.signature, *ak, *key, RandomBytes(32)),
      ErrorIs(Code::kPermissionDenied));

  // The attestor is closed: tpm2-openssl may connect.
  EXPECT_EQ(Leftovers(), "");
  SetTpm2Tcti(tpm_->Tcti());
  {
    auto loaded = LoadTpm2Key(certified.tss2_pem);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_TRUE(loaded->Public().Equals(key->key));
    EXPECT_EQ(Tpm2KeyPem(*loaded), certified.tss2_pem);
    auto csr = Csr::Create(*loaded, "device-1", {});
    ASSERT_TRUE(csr) << csr.error().message();
    Status pop = csr->VerifySignature();
    EXPECT_TRUE(pop) << pop.error().message();
    EXPECT_TRUE(csr->GetPublicKey().Equals(key->key));
  }
  // The provider's connection is gone with the key: the TPM is as the attestor left it.
  EXPECT_EQ(Leftovers(), "");
}

TEST_F(TpmAttestorTest, CertifiesP384KeysAndRefusesOtherTypes) {
  TpmAttestor attestor = Open();
  auto ak = ParseTpmPublic(*attestor.AttestationKeyPublic());
  ASSERT_TRUE(ak);
  const std::vector<uint8_t> challenge = RandomBytes(48);
  auto made = attestor.CreateCertifiedKey(KeyType::kEcP384, challenge);
  ASSERT_TRUE(made) << made.error().message();
  auto key = ParseTpmPublic(made->key_public);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->key.Description(), "ec-p384");
  Status verified = VerifyCertification(made->attest, made->signature, *ak, *key, challenge);
  EXPECT_TRUE(verified) << verified.error().message();
  EXPECT_THAT(attestor.CreateCertifiedKey(KeyType::kRsa2048, challenge),
              ErrorIs(Code::kUnimplemented));
  EXPECT_THAT(attestor.CreateCertifiedKey(KeyType::kEcP256, RandomBytes(65)),
              ErrorIs(Code::kInvalidArgument));
}

// A device that kept its key across a failed enrollment proves it again for a new challenge:
// the same key, certified anew.
TEST_F(TpmAttestorTest, CertifiesAKeyItMadeBeforeForANewChallenge) {
  {
    TpmAttestor attestor = Open();
    auto ak = ParseTpmPublic(*attestor.AttestationKeyPublic());
    ASSERT_TRUE(ak);
    auto made = attestor.CreateCertifiedKey(KeyType::kEcP256, RandomBytes(32));
    ASSERT_TRUE(made) << made.error().message();
    const std::vector<uint8_t> challenge = RandomBytes(32);
    auto again = attestor.CertifyKey(made->tss2_pem, challenge);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again->key_public, made->key_public);
    EXPECT_EQ(again->tss2_pem, made->tss2_pem);
    auto key = ParseTpmPublic(again->key_public);
    ASSERT_TRUE(key);
    Status verified = VerifyCertification(again->attest, again->signature, *ak, *key, challenge);
    EXPECT_TRUE(verified) << verified.error().message();
    EXPECT_THAT(attestor.CertifyKey("-----BEGIN TSS2 PRIVATE KEY-----\nAAAA\n"
                                    "-----END TSS2 PRIVATE KEY-----\n",
                                    challenge),
                ErrorIs(Code::kInvalidArgument));
    EXPECT_THAT(attestor.CertifyKey(made->tss2_pem, RandomBytes(65)),
                ErrorIs(Code::kInvalidArgument));
  }
  EXPECT_EQ(Leftovers(), "");
}

TEST_F(TpmAttestorTest, RefusesACredentialForAnotherName) {
  TpmAttestor attestor = Open();
  auto endorsed = Endorsed(attestor);
  ASSERT_TRUE(endorsed);
  const Certificate* ek = &endorsed->ek;
  const TpmPublic* ak = &endorsed->ak;
  const std::vector<uint8_t> secret = RandomBytes(32);
  // Bound to another Name (a key in software claiming to be this TPM's AK).
  std::vector<uint8_t> other = ak->name;
  other.back() ^= 1;
  auto wrong = MakeCredential(ek->GetPublicKey(), other, secret);
  ASSERT_TRUE(wrong);
  auto refused = attestor.ActivateCredential(*wrong);
  ASSERT_THAT(refused, ErrorIs(Code::kPermissionDenied));
  EXPECT_EQ(refused.error().message().find('\n'), std::string::npos);
  // For another TPM's EK: the seed does not decrypt.
  auto other_ek = PrivateKey::Generate(KeyType::kRsa2048);
  ASSERT_TRUE(other_ek);
  auto foreign = MakeCredential(other_ek->Public(), ak->name, secret);
  ASSERT_TRUE(foreign);
  EXPECT_THAT(attestor.ActivateCredential(*foreign), ErrorIs(Code::kPermissionDenied));
  // Not even a credential.
  EXPECT_THAT(attestor.ActivateCredential(Credential{{1, 2, 3}, {}}),
              ErrorIs(Code::kInvalidArgument));
  // The TPM still works, nothing of the failures left in it.
  auto cred = MakeCredential(ek->GetPublicKey(), ak->name, secret);
  ASSERT_TRUE(cred);
  auto recovered = attestor.ActivateCredential(*cred);
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, secret);
  { TpmAttestor closing = std::move(attestor); }  // the moved-from one closes nothing
  EXPECT_EQ(Leftovers(), "");
}

TEST_F(TpmAttestorTest, AttestationKeyIsTheSameEveryTimeAndNothingStaysLoaded) {
  std::vector<uint8_t> first;
  {
    TpmAttestor attestor = Open();
    auto a = attestor.AttestationKeyPublic();
    ASSERT_TRUE(a) << a.error().message();
    first = *a;
    auto b = attestor.AttestationKeyPublic();
    ASSERT_TRUE(b);
    EXPECT_EQ(*b, first);
    auto ek = Certificate::FromDer(*attestor.EndorsementCertificate());
    ASSERT_TRUE(ek);
    auto ak = ParseTpmPublic(first);
    ASSERT_TRUE(ak);
    auto cred = MakeCredential(ek->GetPublicKey(), ak->name, RandomBytes(32));
    ASSERT_TRUE(cred);
    ASSERT_TRUE(attestor.ActivateCredential(*cred));
    ASSERT_TRUE(attestor.CreateCertifiedKey(KeyType::kEcP256, RandomBytes(32)));
    // Many rounds in a TPM of 3 object slots: each call gave back what it loaded.
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(attestor.CreateCertifiedKey(KeyType::kEcP256, {}));
    }
  }
  EXPECT_EQ(Leftovers(), "");
  // A new connection, the same key: a primary of the endorsement seed.
  TpmAttestor again = Open();
  EXPECT_EQ(*again.AttestationKeyPublic(), first);
}

// Without its persistent EK the TPM makes the EK again from the TCG template L-1; the
// credential made for the EK of the certificate still opens, so the template is the maker's.
TEST_F(TpmAttestorTest, ActivatesWithTheEkFromItsTemplateWhenNoneIsPersisted) {
  const CommandResult evicted = Tools({"tpm2_evictcontrol", "-C", "o", "-c", "0x81010001"});
  if (evicted.exit_code == -1) {
    GTEST_SKIP() << "tpm2-tools is not installed";
  }
  ASSERT_EQ(evicted.exit_code, 0) << evicted.output;
  TpmAttestor attestor = Open();
  auto endorsed = Endorsed(attestor);
  ASSERT_TRUE(endorsed);
  const std::vector<uint8_t> secret = RandomBytes(32);
  auto cred = MakeCredential(endorsed->ek.GetPublicKey(), endorsed->ak.name, secret);
  ASSERT_TRUE(cred);
  auto recovered = attestor.ActivateCredential(*cred);
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, secret);
}

TEST(TpmAttestorOpenTest, NothingListeningIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto opened = TpmAttestor::Open("swtpm:host=127.0.0.1,port=1");
  ASSERT_THAT(opened, ErrorIs(Code::kUnavailable));
  EXPECT_EQ(opened.error().message().find('\n'), std::string::npos) << opened.error().message();
  EXPECT_NE(opened.error().message().find("127.0.0.1"), std::string::npos);
  // A TCTI tpm2-tss has no module for: no retry helps.
  EXPECT_THAT(TpmAttestor::Open("no-such-tcti:x"), ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
