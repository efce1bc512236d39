// SPDX-License-Identifier: Apache-2.0
// File: attestation_challenge.h: POST /api/v1/attestation/challenge, the first round trip of an
// enrollment that proves its key is in a TPM (docs/ARCHITECTURE.md "TPM attestation").
#pragma once

#include "ca/key_attestation.h"
#include "core/clock.h"
#include "http/http_message.h"

namespace anchor::api {

// kAttestationChallengePath is the endpoint's path.
inline constexpr const char* kAttestationChallengePath = "/api/v1/attestation/challenge";

// AttestationChallenge answers a device that shows its TPM: the body is a JSON object
//   {"ek_certificate": base64 DER of the TPM's endorsement key certificate,
//    "ak_public": base64 of its attestation key's marshalled TPM2B_PUBLIC}
// and the answer (200, JSON, no-store)
//   {"credential_blob": base64 TPM2B_ID_OBJECT, "encrypted_secret": base64
//    TPM2B_ENCRYPTED_SECRET, "expires": RFC 3339 time until which the secret is accepted},
// which the TPM's TPM2_ActivateCredential turns into the secret its key's certification must
// carry. No credential is asked for: the answer is of use only to the TPM holding that EK, and
// the certificate is still paid for by the enrollment's token or certificate. Refusals: 404 when
// `attestation` is null (no [server] tpm_manufacturer_ca), 400 for a body that is no such object,
// 403 for an EK certificate of no configured manufacturer or an AK that is none, 415 for
// another media type.
http::Response AttestationChallenge(const ca::KeyAttestation* attestation, const Clock& clock,
                                    const http::Request& request);

}  // namespace anchor::api
