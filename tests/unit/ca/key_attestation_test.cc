// SPDX-License-Identifier: Apache-2.0
// File: key_attestation_test.cc: the CA's check of TPM evidence, each rule on its own, with
// evidence a forger makes in software around a real TPM's endorsement key certificate
// (tests/data/tpm: swtpm's, issued by swtpm_localca). The real TPM's own evidence is checked end
// to end in tests/integration/tpm_attestation_test.sh.
#include "ca/key_attestation.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/text.h"
#include "crypto/cert_builder.h"
#include "crypto/csr.h"
#include "crypto/digest.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_ptr.h"
#include "crypto/tpm_evidence.h"
#include "testlib/soft_tpm_signature.h"

namespace anchor::ca {
namespace {

std::vector<uint8_t> Fixture(const std::string& name) {
  std::ifstream in(std::string(ANCHOR_TEST_DATA) + "/tpm/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<crypto::Certificate> Manufacturer() {
  std::vector<crypto::Certificate> out;
  for (const char* f : {"manufacturer-root.pem", "manufacturer-issuer.pem"}) {
    const std::vector<uint8_t> pem = Fixture(f);
    out.push_back(*crypto::Certificate::ParseAll(std::string(pem.begin(), pem.end()))->begin());
  }
  return out;
}

constexpr TPMA_OBJECT kOwnKey = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                TPMA_OBJECT_SIGN_ENCRYPT;
constexpr TPMA_OBJECT kAk = kOwnKey | TPMA_OBJECT_RESTRICTED;

// SoftKey is a P-256 key in software, described by a TPM2B_PUBLIC with `attributes`: what a
// forger without a TPM can make of any key.
struct SoftKey {
  crypto::PrivateKey key;
  std::vector<uint8_t> tpm2b_public;
  std::vector<uint8_t> name;
};

SoftKey MakeSoftKey(TPMA_OBJECT attributes) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  uint8_t point[65];
  size_t len = 0;
  EXPECT_EQ(::EVP_PKEY_get_octet_string_param(crypto::internal::Native(key->Public()),
                                              OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len),
            1);
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = attributes;
  area.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  area.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  area.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  area.unique.ecc.x.size = 32;
  std::memcpy(area.unique.ecc.x.buffer, point + 1, 32);
  area.unique.ecc.y.size = 32;
  std::memcpy(area.unique.ecc.y.buffer, point + 33, 32);
  std::vector<uint8_t> bytes(sizeof pub);
  size_t offset = 0;
  EXPECT_EQ(::Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, bytes.data(), bytes.size(), &offset), 0u);
  bytes.resize(offset);
  auto parsed = crypto::ParseTpmPublic(bytes);
  EXPECT_TRUE(parsed) << parsed.error().message();
  return SoftKey{*std::move(key), bytes, parsed->name};
}

// Certify is a TPMS_ATTEST of type certify for `name`, with `extra` as its extraData, and its
// signature by `signer` (TPMT_SIGNATURE, ECDSA-SHA256).
std::pair<std::vector<uint8_t>, std::vector<uint8_t>> Certify(
    const crypto::PrivateKey& signer, const std::vector<uint8_t>& name,
    const std::vector<uint8_t>& extra, uint32_t magic = TPM2_GENERATED_VALUE) {
  TPMS_ATTEST attest{};
  attest.magic = magic;
  attest.type = TPM2_ST_ATTEST_CERTIFY;
  EXPECT_LE(extra.size(), sizeof attest.extraData.buffer);
  attest.extraData.size =
      static_cast<UINT16>(std::min(extra.size(), sizeof attest.extraData.buffer));
  std::memcpy(attest.extraData.buffer, extra.data(), attest.extraData.size);
  attest.attested.certify.name.size = static_cast<UINT16>(name.size());
  std::memcpy(attest.attested.certify.name.name, name.data(), name.size());
  std::vector<uint8_t> bytes(sizeof attest);
  size_t offset = 0;
  EXPECT_EQ(::Tss2_MU_TPMS_ATTEST_Marshal(&attest, bytes.data(), bytes.size(), &offset), 0u);
  bytes.resize(offset);

  return {bytes, testing::SoftTpmSignature(signer, bytes)};
}

// kChallengeKey is the test's CA home attestation key; with it the test computes the secret a
// TPM would have learned, which a forger cannot (docs/ARCHITECTURE.md "TPM attestation").
const std::string kChallengeKey(32, 'k');

std::vector<uint8_t> SecretFor(int64_t window, const std::vector<uint8_t>& ak_name,
                               const std::vector<uint8_t>& ek_der) {
  std::string message = "anchor-tpm-challenge";
  for (int shift = 56; shift >= 0; shift -= 8) {
    message.push_back(static_cast<char>((static_cast<uint64_t>(window) >> shift) & 0xff));
  }
  message.append(ak_name.begin(), ak_name.end());
  const auto ek = crypto::Sha256(ek_der);
  message.append(ek.begin(), ek.end());
  const auto mac = crypto::HmacSha256(
      std::span(reinterpret_cast<const uint8_t*>(kChallengeKey.data()), kChallengeKey.size()),
      std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  return {mac.begin(), mac.end()};
}

class KeyAttestationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = KeyAttestation::Make(Manufacturer(), SecretBytes(kChallengeKey));
    ASSERT_TRUE(made) << made.error().message();
    attestation.emplace(std::move(made).value());
  }

  // Evidence is what a device whose AK and key are `ak` and `key` shows with `extra` as the
  // certification's qualifying data.
  crypto::TpmEvidence Evidence(const SoftKey& ak, const SoftKey& key,
                               const std::vector<uint8_t>& extra) const {
    auto [attest, signature] = Certify(ak.key, key.name, extra);
    return crypto::TpmEvidence{ek, ak.tpm2b_public, key.tpm2b_public, attest, signature};
  }

  Status Verify(const crypto::TpmEvidence& evidence, const SoftKey& key) const {
    return attestation->Verify(evidence, key.key.Public(), now);
  }

  std::optional<KeyAttestation> attestation;
  const std::vector<uint8_t> ek = Fixture("ek.crt.der");
  // 2026-12-11: the fixtures' manufacturer CA (made 2026-11-30) and EK certificate are valid.
  const Clock::time_point now = FromUnixSeconds(1'797'000'000);
  const int64_t window = UnixSeconds(now) / kChallengeWindow.count();
};

void ExpectRefused(const Status& st, const std::string& says) {
  ASSERT_FALSE(st) << "accepted; expected a refusal naming '" << says << "'";
  EXPECT_EQ(st.error().code(), Code::kPermissionDenied) << st.error().message();
  EXPECT_NE(st.error().message().find(says), std::string::npos) << st.error().message();
}

TEST_F(KeyAttestationTest, AcceptsEvidenceThatCarriesTheChallengeSecret) {
  const SoftKey ak = MakeSoftKey(kAk), key = MakeSoftKey(kOwnKey);
  Status ok = Verify(Evidence(ak, key, SecretFor(window, ak.name, ek)), key);
  EXPECT_TRUE(ok) << ok.error().message();
  // The last window's secret too (a challenge lives 5 to 10 minutes), not an older one.
  ok = Verify(Evidence(ak, key, SecretFor(window - 1, ak.name, ek)), key);
  EXPECT_TRUE(ok) << ok.error().message();
  ExpectRefused(Verify(Evidence(ak, key, SecretFor(window - 2, ak.name, ek)), key), "challenge");
}

TEST_F(KeyAttestationTest, RefusesAForgerWhoCannotActivateTheCredential) {
  // A forger with the public EK certificate of a real TPM, and an AK and key in software, gets a
  // challenge but cannot decrypt it without that TPM: whatever it certifies with is refused.
  const SoftKey ak = MakeSoftKey(kAk), key = MakeSoftKey(kOwnKey);
  auto challenge = attestation->Challenge(ek, ak.tpm2b_public, now);
  ASSERT_TRUE(challenge) << challenge.error().message();
  EXPECT_EQ(challenge->expires, FromUnixSeconds((window + 2) * kChallengeWindow.count()));
  ExpectRefused(Verify(Evidence(ak, key, std::vector<uint8_t>(32, 0)), key), "challenge");
  const std::vector<uint8_t> ciphertext(challenge->credential.encrypted_secret.begin(),
                                        challenge->credential.encrypted_secret.begin() + 32);
  ExpectRefused(Verify(Evidence(ak, key, ciphertext), key), "challenge");
  // Nor is a secret for another AK (one the forger's TPM... or another device activated).
  const SoftKey other = MakeSoftKey(kAk);
  ExpectRefused(Verify(Evidence(ak, key, SecretFor(window, other.name, ek)), key), "challenge");
}

TEST_F(KeyAttestationTest, RefusesAKeyThatIsNotTheTpmsOwn) {
  const SoftKey ak = MakeSoftKey(kAk);
  for (const auto& [attributes, says] : std::vector<std::pair<TPMA_OBJECT, std::string>>{
           {kOwnKey & ~TPMA_OBJECT_FIXEDTPM, "may leave its TPM"},
           {kOwnKey & ~TPMA_OBJECT_FIXEDPARENT, "may leave its TPM"},
           {kOwnKey & ~TPMA_OBJECT_SENSITIVEDATAORIGIN, "not made inside the TPM"},
           {kOwnKey & ~TPMA_OBJECT_SIGN_ENCRYPT, "not a signing key"}}) {
    const SoftKey key = MakeSoftKey(attributes);
    ExpectRefused(Verify(Evidence(ak, key, SecretFor(window, ak.name, ek)), key), says);
  }
}

TEST_F(KeyAttestationTest, RefusesAnAttestationKeyThatIsNone) {
  const SoftKey key = MakeSoftKey(kOwnKey);
  const SoftKey unrestricted = MakeSoftKey(kOwnKey);
  ExpectRefused(Verify(Evidence(unrestricted, key, SecretFor(window, unrestricted.name, ek)), key),
                "not restricted");
  ExpectRefused(attestation->Challenge(ek, unrestricted.tpm2b_public, now).error(),
                "not restricted");
  const SoftKey movable = MakeSoftKey(kAk & ~TPMA_OBJECT_FIXEDTPM);
  ExpectRefused(Verify(Evidence(movable, key, SecretFor(window, movable.name, ek)), key),
                "may leave its TPM");
}

TEST_F(KeyAttestationTest, RefusesACertificationOfAnotherKeyThanTheRequests) {
  const SoftKey ak = MakeSoftKey(kAk), key = MakeSoftKey(kOwnKey), other = MakeSoftKey(kOwnKey);
  const crypto::TpmEvidence evidence = Evidence(ak, key, SecretFor(window, ak.name, ek));
  // The request is signed by another key than the one the TPM certified.
  ExpectRefused(Verify(evidence, other), "not the request's key");
  // The evidence names the request's key, but the TPM certified another one.
  crypto::TpmEvidence swapped = Evidence(ak, other, SecretFor(window, ak.name, ek));
  swapped.key_public = key.tpm2b_public;
  ExpectRefused(Verify(swapped, key), "another key");
  // A certification signed by another key than the AK shown.
  const SoftKey forger = MakeSoftKey(kAk);
  auto [attest, signature] = Certify(forger.key, key.name, SecretFor(window, ak.name, ek));
  ExpectRefused(Verify({ek, ak.tpm2b_public, key.tpm2b_public, attest, signature}, key),
                "does not verify");
  // One whose magic says no TPM made it.
  auto [not_tpm, sig2] = Certify(ak.key, key.name, SecretFor(window, ak.name, ek), 0x12345678);
  ExpectRefused(Verify({ek, ak.tpm2b_public, key.tpm2b_public, not_tpm, sig2}, key),
                "not made by a TPM");
}

TEST_F(KeyAttestationTest, RefusesAnEndorsementKeyOfNoConfiguredManufacturer) {
  const SoftKey ak = MakeSoftKey(kAk), key = MakeSoftKey(kOwnKey);
  // Trust only another manufacturer: a self-signed CA of the test's own.
  auto other_key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  crypto::CertTemplate t;
  t.serial = {1};
  t.common_name = "Other TPM maker";
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(1);
  t.is_ca = true;
  t.key_usage = crypto::kKeyCertSign;
  t.authority_key_id = false;
  auto other_ca = crypto::SignCertificate(t, other_key->Public(), nullptr, *other_key);
  ASSERT_TRUE(other_ca) << other_ca.error().message();
  auto strict = KeyAttestation::Make({*other_ca}, SecretBytes(kChallengeKey));
  ASSERT_TRUE(strict);
  ExpectRefused(
      strict->Verify(Evidence(ak, key, SecretFor(window, ak.name, ek)), key.key.Public(), now),
      "does not verify to a configured TPM manufacturer CA");
  ExpectRefused(strict->Challenge(ek, ak.tpm2b_public, now).error(), "manufacturer");
  // A certificate of a trusted CA that is no TPM's (here the CA's own) is no EK certificate.
  ExpectRefused(strict->Challenge(other_ca->ToDer(), ak.tpm2b_public, now).error(), "no TPM's");
  // Bytes that are no certificate at all are a malformed request.
  auto garbage = attestation->Challenge(std::vector<uint8_t>{1, 2, 3}, ak.tpm2b_public, now);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), Code::kInvalidArgument);
}

TEST_F(KeyAttestationTest, NeedsAManufacturerRootAndALongEnoughKey) {
  EXPECT_FALSE(KeyAttestation::Make({}, SecretBytes(kChallengeKey)));
  EXPECT_FALSE(KeyAttestation::Make(Manufacturer(), SecretBytes(std::string(16, 'k'))));
  // The issuing CA alone, without its root, is no trust anchor.
  EXPECT_FALSE(KeyAttestation::Make({Manufacturer()[1]}, SecretBytes(kChallengeKey)));
}

TEST(TpmEvidenceAttributesTest, TravelInTheRequestAndComeBackWhole) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  const crypto::TpmEvidence evidence{{1}, {2, 2}, {3, 3, 3}, {4}, {5, 5}};
  auto csr = crypto::Csr::Create(*key, "device-1", {}, crypto::TpmEvidenceAttributes(evidence));
  ASSERT_TRUE(csr) << csr.error().message();
  auto again = crypto::Csr::FromDer(csr->ToDer());
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->VerifySignature());
  auto read = crypto::ReadTpmEvidence(*again);
  ASSERT_TRUE(read) << read.error().message();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->ek_certificate, evidence.ek_certificate);
  EXPECT_EQ((*read)->signature, evidence.signature);
  // A request without evidence has none; one with a part of it is refused, naming the rest.
  auto plain = crypto::Csr::Create(*key, "device-1", {});
  EXPECT_FALSE(crypto::ReadTpmEvidence(*plain)->has_value());
  auto partial = crypto::Csr::Create(*key, "device-1", {},
                                     {crypto::CsrAttribute{crypto::kTpmAkPublicOid, {2}}});
  auto refused = crypto::ReadTpmEvidence(*partial);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.error().message().find("endorsement key certificate"), std::string::npos);
  // One attribute twice is no request OpenSSL makes.
  EXPECT_FALSE(crypto::Csr::Create(*key, "device-1", {},
                                   {crypto::CsrAttribute{crypto::kTpmAkPublicOid, {2}},
                                    crypto::CsrAttribute{crypto::kTpmAkPublicOid, {3}}}));
}

}  // namespace
}  // namespace anchor::ca
