// SPDX-License-Identifier: Apache-2.0
// File: key_attestation.cc: TPM challenges and the check of TPM evidence.
#include "ca/key_attestation.h"

#include <algorithm>
#include <string>

#include "core/text.h"
#include "crypto/chain_verifier.h"
#include "crypto/digest.h"

namespace anchor::ca {
namespace {

Error Refused(const std::string& why) {
  return Error(Code::kPermissionDenied, "TPM attestation: " + why);
}

// WindowOf is the number of the challenge window `t` falls in.
int64_t WindowOf(Clock::time_point t) { return UnixSeconds(t) / kChallengeWindow.count(); }

// CheckOwnKey refuses a key the TPM did not make, or would let leave it (TPM 2.0 Part 1 27.2:
// fixedTPM "the object cannot be duplicated"; sensitiveDataOrigin "the TPM generated all of the
// sensitive data").
Status CheckOwnKey(const crypto::TpmPublic& key, const std::string& what) {
  if (!key.fixed_tpm || !key.fixed_parent) {
    return Refused(what + " may leave its TPM (fixedTPM and fixedParent must be set)");
  }
  if (!key.sensitive_data_origin) {
    return Refused(what + " was not made inside the TPM (sensitiveDataOrigin is clear)");
  }
  if (!key.sign) {
    return Refused(what + " is not a signing key");
  }
  return OkStatus();
}

}  // namespace

Result<KeyAttestation> KeyAttestation::Make(std::vector<crypto::Certificate> manufacturers,
                                            SecretBytes challenge_key) {
  std::vector<crypto::Certificate> roots, intermediates;
  for (crypto::Certificate& cert : manufacturers) {
    (cert.IsSelfIssued() ? roots : intermediates).push_back(std::move(cert));
  }
  if (roots.empty()) {
    return Error(Code::kInvalidArgument,
                 "no self-signed TPM manufacturer CA certificate; name the manufacturer's root");
  }
  if (challenge_key.size() < 32) {
    return Error(Code::kInvalidArgument, "the attestation challenge key is shorter than 32 bytes");
  }
  return KeyAttestation(std::move(roots), std::move(intermediates), std::move(challenge_key));
}

Result<KeyAttestation::Endorsement> KeyAttestation::Endorsed(
    std::span<const uint8_t> ek_certificate, std::span<const uint8_t> ak_public,
    Clock::time_point now) const {
  auto cert = crypto::Certificate::FromDer(ek_certificate);
  if (!cert) {
    return Error(Code::kInvalidArgument,
                 "TPM attestation: the endorsement key certificate is "
                 "not a DER X.509 certificate");
  }
  // TCG EK Credential Profile 2.0 3.2: an EK certificate is issued by the TPM's manufacturer;
  // its subject is empty and its SAN a directoryName of the TPM model, which OpenSSL verifies.
  crypto::VerifyOptions options{roots_, intermediates_};
  options.at = now;
  options.strict = false;  // manufacturers' EK certificates are not all RFC 5280 to the letter
  ANCHOR_ASSIGN_OR_RETURN(const crypto::ChainVerdict verdict, crypto::ValidatePath(*cert, options));
  if (!verdict.Ok()) {
    return Refused("the endorsement key certificate (issued by " + cert->Issuer() +
                   ") does not verify to a configured TPM manufacturer CA ([server] "
                   "tpm_manufacturer_ca): " +
                   verdict.failure->Message());
  }
  // TCG EK Credential Profile 2.0 3.2: an EK certificate is an end entity's, and its extended
  // key usage, when present, is tcg-kp-EKCertificate (2.23.133.8.1). Anything else from a
  // manufacturer's CA (its TLS servers, its CAs) is no TPM's.
  const std::vector<std::string> ekus = cert->ExtendedKeyUsageNames();
  if (cert->IsCa() ||
      (!ekus.empty() && std::find(ekus.begin(), ekus.end(), "2.23.133.8.1") == ekus.end())) {
    return Refused(
        "the endorsement key certificate is a CA's, or its extended key usage is not "
        "tcg-kp-EKCertificate (2.23.133.8.1): it is no TPM's");
  }
  crypto::PublicKey ek = cert->GetPublicKey();
  if (!ek.IsRsa() || ek.Bits() != 2048) {
    return Refused("the endorsement key is " + ek.Description() +
                   "; anchor takes the RSA-2048 EK (TCG EK Credential Profile, template L-1)");
  }
  auto ak = crypto::ParseTpmPublic(ak_public);
  if (!ak) {
    return ak.error().Prefixed("TPM attestation: the attestation key");
  }
  if (!ak->restricted) {
    return Refused(
        "the attestation key is not restricted, so it could sign anything, not only "
        "what the TPM made");
  }
  ANCHOR_TRY(CheckOwnKey(*ak, "the attestation key"));
  return Endorsement{std::move(ek), std::move(ak).value()};
}

std::vector<uint8_t> KeyAttestation::Secret(int64_t window, std::span<const uint8_t> ak_name,
                                            std::span<const uint8_t> ek_certificate) const {
  std::string message = "anchor-tpm-challenge";
  for (int shift = 56; shift >= 0; shift -= 8) {
    message.push_back(static_cast<char>((static_cast<uint64_t>(window) >> shift) & 0xff));
  }
  message.append(ak_name.begin(), ak_name.end());
  const crypto::Sha256Digest ek = crypto::Sha256(ek_certificate);
  message.append(ek.begin(), ek.end());
  const crypto::Sha256Digest mac = crypto::HmacSha256(
      std::span(reinterpret_cast<const uint8_t*>(key_.data()), key_.size()),
      std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  return {mac.begin(), mac.end()};
}

Result<TpmChallenge> KeyAttestation::Challenge(std::span<const uint8_t> ek_certificate,
                                               std::span<const uint8_t> ak_public,
                                               Clock::time_point now) const {
  ANCHOR_ASSIGN_OR_RETURN(const Endorsement endorsed, Endorsed(ek_certificate, ak_public, now));
  const int64_t window = WindowOf(now);
  const std::vector<uint8_t>& name = endorsed.ak.name;
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::Credential credential,
      crypto::MakeCredential(endorsed.ek, name, Secret(window, name, ek_certificate)));
  return TpmChallenge{
      std::move(credential),
      Clock::time_point(std::chrono::seconds((window + 2) * kChallengeWindow.count()))};
}

Status KeyAttestation::Verify(const crypto::TpmEvidence& evidence, const crypto::PublicKey& csr_key,
                              Clock::time_point now) const {
  ANCHOR_ASSIGN_OR_RETURN(const Endorsement endorsed,
                          Endorsed(evidence.ek_certificate, evidence.ak_public, now));
  const crypto::TpmPublic& ak = endorsed.ak;
  auto key = crypto::ParseTpmPublic(evidence.key_public);
  if (!key) {
    return key.error().Prefixed("TPM attestation: the certified key");
  }
  if (!key->key.Equals(csr_key)) {
    return Refused("the certified key is not the request's key");
  }
  ANCHOR_TRY(CheckOwnKey(*key, "the certified key"));
  // The secret of this window or of the last: only a TPM that activated the credential knows
  // it (TPM 2.0 Part 1 24), and only for this AK beside this EK.
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> carried,
                          crypto::CertifiedExtraData(evidence.certify_info));
  const std::string_view carried_text(reinterpret_cast<const char*>(carried.data()),
                                      carried.size());
  const int64_t window = WindowOf(now);
  for (const int64_t w : {window, window - 1}) {
    const std::vector<uint8_t> secret = Secret(w, ak.name, evidence.ek_certificate);
    if (crypto::ConstantTimeEquals(
            carried_text,
            std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()))) {
      return crypto::VerifyCertification(evidence.certify_info, evidence.signature, ak, *key,
                                         secret);
    }
  }
  return Refused(
      "the certification does not carry a challenge of this CA for this attestation "
      "key and TPM, or one older than 10 minutes; ask for a new challenge");
}

}  // namespace anchor::ca
