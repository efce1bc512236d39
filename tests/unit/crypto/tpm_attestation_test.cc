// SPDX-License-Identifier: Apache-2.0
// File: tpm_attestation_test.cc: the verifier's checks on evidence a real (software) TPM made:
// tests/data/tpm/generate.sh ran swtpm, manufactured with an EK certificate, and tpm2-tools.
#include "crypto/tpm_attestation.h"

#include <gtest/gtest.h>
#include <tss2/tss2_mu.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/certificate.h"
#include "crypto/chain_verifier.h"
#include "crypto/internal/handles.h"
#include "testlib/soft_tpm_signature.h"
#include "testlib/swtpm.h"
#include "testlib/temp_dir.h"

namespace anchor::crypto {
namespace {

std::vector<uint8_t> Fixture(const std::string& name) {
  std::ifstream in(std::string(ANCHOR_TEST_DATA) + "/tpm/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string Text(const std::string& name) {
  const std::vector<uint8_t> bytes = Fixture(name);
  return std::string(bytes.begin(), bytes.end());
}

// tpm2_certify's qualifying data when none is given.
const std::vector<uint8_t> kToolsQualifyingData = {0x00, 0xff, 0x55, 0xaa};

class TpmEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ak_parsed = ParseTpmPublic(Fixture("ak.pub"));
    ASSERT_TRUE(ak_parsed) << ak_parsed.error().message();
    ak.emplace(std::move(ak_parsed).value());
    auto key_parsed = ParseTpmPublic(Fixture("key.pub"));
    ASSERT_TRUE(key_parsed) << key_parsed.error().message();
    key.emplace(std::move(key_parsed).value());
    attest = Fixture("certify.attest");
    signature = Fixture("certify.sig");
  }
  std::optional<TpmPublic> ak;
  std::optional<TpmPublic> key;
  std::vector<uint8_t> attest;
  std::vector<uint8_t> signature;
};

TEST_F(TpmEvidenceTest, ReadsWhatTheTpmSaysOfItsKeys) {
  EXPECT_TRUE(ak->restricted && ak->sign && ak->fixed_tpm && ak->fixed_parent &&
              ak->sensitive_data_origin);
  EXPECT_FALSE(key->restricted);
  EXPECT_TRUE(key->sign && key->fixed_tpm && key->fixed_parent && key->sensitive_data_origin);
  EXPECT_EQ(key->name.size(), 34u);  // SHA-256 name: 000b || 32 bytes
  EXPECT_EQ(key->name[1], 0x0b);
  // The key as tpm2_readpublic wrote it in PEM is the key of the TPM2B_PUBLIC.
  auto pem = PublicKey::FromPem(Text("key.pem"));
  ASSERT_TRUE(pem) << pem.error().message();
  EXPECT_TRUE(pem->Equals(key->key));
}

TEST_F(TpmEvidenceTest, AcceptsTheTpmsCertification) {
  Status ok = VerifyCertification(attest, signature, *ak, *key, kToolsQualifyingData);
  EXPECT_TRUE(ok) << ok.error().message();
}

TEST_F(TpmEvidenceTest, RefusesEvidenceThatDoesNotHold) {
  const auto refused = [&](const std::vector<uint8_t>& a, const std::vector<uint8_t>& s,
                           const TpmPublic& signer, const TpmPublic& certified,
                           const std::vector<uint8_t>& qualifying, const char* says) {
    Status st = VerifyCertification(a, s, signer, certified, qualifying);
    ASSERT_FALSE(st) << says;
    EXPECT_EQ(st.error().code(), Code::kPermissionDenied);
    EXPECT_NE(st.error().message().find(says), std::string::npos) << st.error().message();
  };
  refused(attest, signature, *ak, *key, {1, 2, 3, 4}, "challenge");
  refused(attest, signature, *ak, *ak, kToolsQualifyingData, "another key");
  // The device key is no restricted key: it cannot stand in for an AK.
  refused(attest, signature, *key, *key, kToolsQualifyingData, "restricted signing key");
  std::vector<uint8_t> tampered = attest;
  tampered.back() ^= 1;  // a bit of the certified name... or of the clock info
  refused(tampered, signature, *ak, *key, kToolsQualifyingData, "");
  std::vector<uint8_t> not_magic = attest;
  not_magic[0] = 0;  // TPM_GENERATED_VALUE is what only the TPM writes
  refused(not_magic, signature, *ak, *key, kToolsQualifyingData, "not made by a TPM");
}

TEST_F(TpmEvidenceTest, RefusesACertificationSignedBySoftware) {
  // A forger signs the TPM's certification again with a key of its own, held in software:
  // presented with the real AK, the signature does not verify.
  auto soft = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(soft);
  const std::vector<uint8_t> bytes = testing::SoftTpmSignature(*soft, attest);
  ASSERT_FALSE(bytes.empty());
  Status st = VerifyCertification(attest, bytes, *ak, *key, kToolsQualifyingData);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("does not verify"), std::string::npos);
}

TEST(TpmPublicTest, RefusesWhatIsNotOneTpmKey) {
  EXPECT_FALSE(ParseTpmPublic(std::vector<uint8_t>{}));
  EXPECT_FALSE(ParseTpmPublic(std::vector<uint8_t>{0x00, 0x04, 0x01, 0x02}));
  std::vector<uint8_t> extra = Fixture("key.pub");
  extra.push_back(0);
  auto parsed = ParseTpmPublic(extra);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("left over"), std::string::npos);
}

TEST(MakeCredentialTest, ProtectsTheSecretForTheEndorsementKey) {
  auto ek_cert = Certificate::FromDer(Fixture("ek.crt.der"));
  ASSERT_TRUE(ek_cert) << ek_cert.error().message();
  auto ak = ParseTpmPublic(Fixture("ak.pub"));
  ASSERT_TRUE(ak);
  const std::vector<uint8_t> secret(32, 0x5a);
  auto cred = MakeCredential(ek_cert->GetPublicKey(), ak->name, secret);
  ASSERT_TRUE(cred) << cred.error().message();
  TPM2B_ID_OBJECT id{};
  TPM2B_ENCRYPTED_SECRET enc{};
  size_t offset = 0;
  ASSERT_EQ(::Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(cred->id_object.data(), cred->id_object.size(),
                                                &offset, &id),
            0u);
  EXPECT_EQ(offset, cred->id_object.size());
  EXPECT_EQ(id.size, 2 + 32 + 2 + 32);  // HMAC (TPM2B) || encrypted TPM2B_DIGEST(secret)
  offset = 0;
  ASSERT_EQ(::Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(
                cred->encrypted_secret.data(), cred->encrypted_secret.size(), &offset, &enc),
            0u);
  EXPECT_EQ(enc.size, 256);  // RSA-2048
  // Whether a TPM accepts it is for a TPM to say: SwtpmCredentialTest.
  auto ec_ek = PrivateKey::Generate(KeyType::kEcP256);
  auto refused = MakeCredential(ec_ek->Public(), ak->name, secret);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kUnimplemented);
}

// SwtpmCredentialTest hands MakeCredential's output to a real TPM 2.0 (swtpm, manufactured with
// an EK certificate by tests/data/tpm/manufacture.sh) and lets tpm2_activatecredential recover it.
class SwtpmCredentialTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (!std::filesystem::exists("/usr/bin/swtpm_setup") ||
        !std::filesystem::exists("/usr/bin/tpm2_activatecredential")) {
      GTEST_SKIP() << "swtpm-tools or tpm2-tools is not installed (make setup installs them)";
    }
    ASSERT_EQ(std::system(("bash " + std::string(ANCHOR_TEST_DATA) + "/tpm/manufacture.sh " +
                           Path("tpm") + " >/dev/null")
                              .c_str()),
              0);
    std::string why;
    tpm_ = testing::Swtpm::Start(Path("tpm"), &why);
    ASSERT_TRUE(tpm_) << why;
    ASSERT_EQ(Shell("tpm2_nvread 0x1c00002 -o ek.nv 2>/dev/null && "
                    "openssl x509 -inform DER -in ek.nv -outform DER -out ek.der && "
                    "tpm2_createak -C 0x81010001 -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub "
                    "-n ak.name >/dev/null && tpm2_flushcontext -t"),
              0);
  }
  void TearDown() override {
    if (tpm_) {
      tpm_->Stop();
    }
    TempDirTest::TearDown();
  }
  int Shell(const std::string& command) const {
    return std::system(
        ("cd " + dir_.string() + " && export TPM2TOOLS_TCTI='" + tpm_->Tcti() + "'; " + command)
            .c_str());
  }
  std::vector<uint8_t> Read(const char* name) const {
    std::ifstream in(Path(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // Activate writes `cred` as tpm2-tools reads it (magic BADCC0DE, version 1, TPM2B_ID_OBJECT,
  // TPM2B_ENCRYPTED_SECRET) and runs TPM2_ActivateCredential with the AK and the EK (whose
  // policy needs the endorsement hierarchy's authorisation, PolicySecret).
  int Activate(const Credential& cred) const {
    std::ofstream out(Path("cred.out"), std::ios::binary);
    const uint8_t header[8] = {0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1};
    out.write(reinterpret_cast<const char*>(header), sizeof header);
    out.write(reinterpret_cast<const char*>(cred.id_object.data()), cred.id_object.size());
    out.write(reinterpret_cast<const char*>(cred.encrypted_secret.data()),
              cred.encrypted_secret.size());
    out.close();
    return Shell(
        "tpm2_startauthsession --policy-session -S s.ctx && tpm2_policysecret -S s.ctx -c e "
        ">/dev/null && tpm2_activatecredential -c ak.ctx -C 0x81010001 -i cred.out -o act.out "
        "-P session:s.ctx >/dev/null 2>&1; rc=$?; tpm2_flushcontext s.ctx; tpm2_flushcontext -t; "
        "exit $rc");
  }
  std::optional<testing::Swtpm> tpm_;
};

TEST_F(SwtpmCredentialTest, OnlyTheTpmWithTheEkReleasesTheSecretForItsAk) {
  auto ek = Certificate::FromDer(Read("ek.der"));
  ASSERT_TRUE(ek) << ek.error().message();
  auto ak = ParseTpmPublic(Read("ak.pub"));
  ASSERT_TRUE(ak) << ak.error().message();
  EXPECT_EQ(ak->name, Read("ak.name"));  // our Name is the TPM's
  std::vector<uint8_t> secret(32);
  for (size_t i = 0; i < secret.size(); ++i) {
    secret[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  auto cred = MakeCredential(ek->GetPublicKey(), ak->name, secret);
  ASSERT_TRUE(cred) << cred.error().message();
  ASSERT_EQ(Activate(*cred), 0);
  EXPECT_EQ(Read("act.out"), secret);
  // Bound to another Name (a software key claiming to be the AK), the TPM refuses it.
  std::vector<uint8_t> other = ak->name;
  other.back() ^= 1;
  auto wrong = MakeCredential(ek->GetPublicKey(), other, secret);
  ASSERT_TRUE(wrong);
  std::filesystem::remove(Path("act.out"));
  EXPECT_NE(Activate(*wrong), 0);
  EXPECT_FALSE(std::filesystem::exists(Path("act.out")));
}

}  // namespace
}  // namespace anchor::crypto
