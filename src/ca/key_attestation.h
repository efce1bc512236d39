// SPDX-License-Identifier: Apache-2.0
// File: key_attestation.h: the CA's side of enrollment that proves a key is in a TPM: the
// challenge (TPM2_MakeCredential to the device's endorsement key for its attestation key), and
// the check of the evidence a request then carries (crypto/tpm_evidence.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/key.h"
#include "crypto/tpm_attestation.h"
#include "crypto/tpm_evidence.h"

namespace anchor::ca {

// kChallengeWindow is how long a challenge's secret is made the same: a challenge is accepted
// in its window and the next, so it lives between 5 and 10 minutes.
inline constexpr std::chrono::seconds kChallengeWindow{300};

// TpmChallenge is the answer to a challenge request: the credential the device's TPM activates
// (TPM2_ActivateCredential) to learn the secret it then certifies its key with, and until when
// that secret is accepted.
struct TpmChallenge {
  crypto::Credential credential;
  Clock::time_point expires;
};

// KeyAttestation holds what the CA trusts for attestation: the TPM manufacturers' CA
// certificates (roots, and the intermediates their endorsement key certificates chain
// through), and the key of the challenge MAC. It keeps no state per device: a challenge's
// secret is HMAC-SHA256(key, "anchor-tpm-challenge" || window || AK Name || SHA-256(EK
// certificate)), so any server holding the same key checks what another handed out. Immutable;
// callable from every thread.
class KeyAttestation final {
 public:
  // `manufacturers` must hold at least one self-signed certificate; `challenge_key` at least
  // 32 bytes (kInvalidArgument otherwise).
  static Result<KeyAttestation> Make(std::vector<crypto::Certificate> manufacturers,
                                     SecretBytes challenge_key);

  // Challenge checks that `ek_certificate` (DER) verifies to a manufacturer CA at `now` and holds
  // an RSA-2048 key, and that `ak_public` (a marshalled TPM2B_PUBLIC) is an attestation key (a
  // restricted signing key the TPM made and keeps: fixedTPM, fixedParent, sensitiveDataOrigin),
  // and returns a credential for them. Refusals are kPermissionDenied (an EK certificate of no
  // configured manufacturer, an AK that is none) or kInvalidArgument (bytes that do not parse),
  // naming what.
  Result<TpmChallenge> Challenge(std::span<const uint8_t> ek_certificate,
                                 std::span<const uint8_t> ak_public, Clock::time_point now) const;

  // Verify checks `evidence` for a request whose key is `csr_key`: the EK certificate and the AK
  // as Challenge does; the certification (TPM2_Certify, Part 3 18.2) is the AK's, of the key the
  // evidence names, with this window's or the last window's secret for that AK and EK as its
  // qualifying data (which only the TPM holding the EK could have learned); that key is the
  // request's, and the TPM's own: fixedTPM, fixedParent, sensitiveDataOrigin, a signing key.
  // Every refusal is kPermissionDenied naming the first thing that did not hold.
  Status Verify(const crypto::TpmEvidence& evidence, const crypto::PublicKey& csr_key,
                Clock::time_point now) const;

 private:
  KeyAttestation(std::vector<crypto::Certificate> roots,
                 std::vector<crypto::Certificate> intermediates, SecretBytes key)
      : roots_(std::move(roots)), intermediates_(std::move(intermediates)), key_(std::move(key)) {}

  // Endorsement is an EK a manufacturer certified, and an AK that is one.
  struct Endorsement {
    crypto::PublicKey ek;
    crypto::TpmPublic ak;
  };
  // Endorsed checks the EK certificate and the AK.
  Result<Endorsement> Endorsed(std::span<const uint8_t> ek_certificate,
                               std::span<const uint8_t> ak_public, Clock::time_point now) const;
  // Secret is the challenge secret of `window` for the AK Name and the EK certificate.
  std::vector<uint8_t> Secret(int64_t window, std::span<const uint8_t> ak_name,
                              std::span<const uint8_t> ek_certificate) const;

  std::vector<crypto::Certificate> roots_;
  std::vector<crypto::Certificate> intermediates_;
  SecretBytes key_;  // the MAC key (from the CA home's attestation.key)
};

}  // namespace anchor::ca
