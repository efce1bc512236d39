// SPDX-License-Identifier: Apache-2.0
// File: tpm_attestation.h: the verifier's side of TPM 2.0 key attestation: what a TPM2B_PUBLIC
// says of a key, a TPM2_Certify made by an attestation key (AK), and TPM2_MakeCredential, which
// proves that AK lives in the TPM whose endorsement key (EK) a manufacturer certified.
// TPM 2.0 Library, Part 1 (Architecture) and Part 2 (Structures); the TPM structures are
// unmarshalled and marshalled by libtss2-mu, never by hand.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "crypto/key.h"

namespace anchor::crypto {

// TpmPublic is what a TPM2B_PUBLIC (Part 2 12.2.5) says of a TPM object.
struct TpmPublic {
  // name is the object's Name (Part 1 16): nameAlg (2 bytes, big-endian) || H(TPMT_PUBLIC).
  std::vector<uint8_t> name;
  uint32_t attributes = 0;  // TPMA_OBJECT (Part 2 8.3)
  // The attributes that make a key a TPM's own (Part 1 27.2): made inside this TPM
  // (sensitiveDataOrigin) and never to leave it or its parent (fixedTPM, fixedParent).
  bool fixed_tpm = false;
  bool fixed_parent = false;
  bool sensitive_data_origin = false;
  bool restricted = false;  // signs only what the TPM made (an AK's attestations)
  bool sign = false;
  PublicKey key;  // the public key, as anything else in anchor holds one
};

// ParseTpmPublic reads a marshalled TPM2B_PUBLIC of an ECC key on P-256 or P-384; another
// type, a name algorithm other than SHA-256/384, or bytes left over are kInvalidArgument.
Result<TpmPublic> ParseTpmPublic(std::span<const uint8_t> tpm2b_public);

// VerifyCertification checks a TPM2_Certify (Part 3 18.2): `attest` (a marshalled TPMS_ATTEST)
// is TPM-generated (magic TPM_GENERATED_VALUE), of type TPM_ST_ATTEST_CERTIFY, certifies the
// object whose Name is `key.name`, carries `qualifying_data` as its extraData, and `signature`
// (a marshalled TPMT_SIGNATURE, ECDSA) over it verifies with `ak`, which must be a restricted
// signing key of its TPM (fixedTPM, fixedParent, sensitiveDataOrigin). Each failure is
// kPermissionDenied naming what did not hold.
Status VerifyCertification(std::span<const uint8_t> attest, std::span<const uint8_t> signature,
                           const TpmPublic& ak, const TpmPublic& key,
                           std::span<const uint8_t> qualifying_data);

// CertifiedExtraData is the qualifying data (extraData, Part 2 10.12.12) of a marshalled
// TPMS_ATTEST, unverified: for a verifier that accepts one of several challenges, to choose the
// one VerifyCertification then checks. Bytes that are no TPMS_ATTEST are kPermissionDenied.
Result<std::vector<uint8_t>> CertifiedExtraData(std::span<const uint8_t> attest);

// Credential is TPM2_MakeCredential's output (Part 3 12.6), marshalled as TPM2_ActivateCredential
// takes it: a TPM2B_ID_OBJECT and a TPM2B_ENCRYPTED_SECRET.
struct Credential {
  std::vector<uint8_t> id_object;
  std::vector<uint8_t> encrypted_secret;
};

// MakeCredential protects `secret` (1 to 32 bytes) so that only the TPM holding the private half
// of the RSA-2048 endorsement key `ek` can recover it, and only for an object whose Name is
// `ak_name` (Part 1 24: a seed under RSA-OAEP-SHA256 with label "IDENTITY", KDFa "STORAGE" and
// "INTEGRITY", AES-128-CFB, an outer HMAC-SHA256). The TPM releases the secret only when that
// object is loaded in it beside the EK: the proof that the AK is this TPM's.
Result<Credential> MakeCredential(const PublicKey& ek, std::span<const uint8_t> ak_name,
                                  std::span<const uint8_t> secret);

}  // namespace anchor::crypto
