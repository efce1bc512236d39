// SPDX-License-Identifier: Apache-2.0
// File: tpm_attestor.h: the device's side of TPM 2.0 key attestation, through tpm2-tss's ESYS:
// the endorsement key (EK) certificate, an attestation key (AK), TPM2_ActivateCredential of the
// verifier's challenge, and a new device key certified by the AK (TPM2_Certify), kept as the
// TSS2 PRIVATE KEY that crypto/tpm2_key loads. crypto/tpm_attestation.h is the verifier's side.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/tpm_attestation.h"

// tpm2-tss's opaque contexts (tss2_esys.h, tss2_tcti.h), so that this header includes none of
// tpm2-tss's.
struct ESYS_CONTEXT;
struct TSS2_TCTI_OPAQUE_CONTEXT_BLOB;

namespace anchor::crypto {

// CertifiedKey is a new key made in the TPM and certified there by the attestation key.
struct CertifiedKey {
  // tss2_pem is the "TSS2 PRIVATE KEY" PEM of the key (parent 0x40000001, empty auth), which
  // crypto::LoadTpm2Key (tpm2-openssl) loads into this TPM and no other.
  std::string tss2_pem;
  std::vector<uint8_t> key_public;  // marshalled TPM2B_PUBLIC of the key (ParseTpmPublic reads it)
  std::vector<uint8_t> attest;      // marshalled TPMS_ATTEST of TPM2_Certify (VerifyCertification)
  std::vector<uint8_t> signature;   // marshalled TPMT_SIGNATURE (ECDSA-SHA256) by the AK
};

// TpmAttestor is one connection (ESYS over a TCTI) to a TPM, for attestation. It holds no TPM
// object between calls: each call loads what it needs (at most three transient objects, as a
// TPM without a resource manager, swtpm, has) and flushes it before it returns, on errors too.
// Move-only; the destructor finalizes ESYS, which closes the connection. A TPM without a
// resource manager serves one connection at a time: close the attestor before the process's
// TPM keys (crypto/tpm2_key) use the same TPM. Not safe for concurrent use.
class TpmAttestor final {
 public:
  // Open connects to the TPM at `tcti`, a tpm2-tss TCTI configuration
  // ("swtpm:host=127.0.0.1,port=2321", "device:/dev/tpmrm0"); empty: the default crypto/tpm2_key
  // uses ($TPM2OPENSSL_TCTI, else tpm2-tss's default search). kUnavailable when the TPM cannot
  // be reached, kInvalidArgument for a TCTI tpm2-tss cannot use.
  static Result<TpmAttestor> Open(std::string_view tcti);

  TpmAttestor(TpmAttestor&& other) noexcept;
  TpmAttestor& operator=(TpmAttestor&& other) noexcept;
  TpmAttestor(const TpmAttestor&) = delete;
  TpmAttestor& operator=(const TpmAttestor&) = delete;
  ~TpmAttestor();

  // EndorsementCertificate is the DER of the TPM's RSA-2048 EK certificate, read from NV index
  // 0x01c00002 (TCG EK Credential Profile 2.0, 2.2.1.4). kFailedPrecondition when the TPM has
  // none.
  Result<std::vector<uint8_t>> EndorsementCertificate();

  // AttestationKeyPublic is the marshalled TPM2B_PUBLIC of the attestation key: an ECC P-256
  // restricted signing key (ECDSA-SHA256; fixedTPM, fixedParent, sensitiveDataOrigin,
  // userWithAuth, restricted, sign, noDA), a primary of the endorsement hierarchy: the same key
  // every time (from the TPM's endorsement seed), so nothing is persisted in the TPM.
  Result<std::vector<uint8_t>> AttestationKeyPublic();

  // ActivateCredential recovers the secret of `credential` (crypto::MakeCredential for the AK's
  // Name and this TPM's EK) with TPM2_ActivateCredential. The EK is the persistent one at
  // 0x81010001 when there is one, else a primary made from the TCG default RSA-2048 EK template.
  // A credential for another TPM or another key is kPermissionDenied.
  Result<std::vector<uint8_t>> ActivateCredential(const Credential& credential);

  // CreateCertifiedKey makes a new ECC signing key (`type` kEcP256 or kEcP384, else
  // kUnimplemented) under the owner hierarchy's primary storage key, the one tpm2-openssl makes
  // for parent 0x40000001 (so LoadTpm2Key loads it), with fixedTPM, fixedParent,
  // sensitiveDataOrigin, userWithAuth, sign and noDA and an empty authorisation; then has the AK
  // certify it (TPM2_Certify, ECDSA-SHA256) with `qualifying_data` (at most 64 bytes: the
  // verifier's challenge) as its extraData.
  Result<CertifiedKey> CreateCertifiedKey(KeyType type, std::span<const uint8_t> qualifying_data);

  // CertifyKey has the AK certify a key this TPM made before (a TSS2 PRIVATE KEY under parent
  // 0x40000001: CreateCertifiedKey's, or tpm2-openssl's), as CreateCertifiedKey certifies a new
  // one: a device that kept its key across a failed enrollment proves it again for a new
  // challenge. A file that is no such key, or that another TPM sealed, is kInvalidArgument.
  Result<CertifiedKey> CertifyKey(std::string_view tss2_pem,
                                  std::span<const uint8_t> qualifying_data);

  // Tcti is the TCTI configuration the attestor was opened with ("" for the default).
  const std::string& Tcti() const { return tcti_; }

 private:
  TpmAttestor(std::string tcti, TSS2_TCTI_OPAQUE_CONTEXT_BLOB* tcti_ctx, ESYS_CONTEXT* esys)
      : tcti_(std::move(tcti)), tcti_ctx_(tcti_ctx), esys_(esys) {}
  void Close() noexcept;

  std::string tcti_;
  TSS2_TCTI_OPAQUE_CONTEXT_BLOB* tcti_ctx_ = nullptr;  // owned: Tss2_TctiLdr_Finalize
  ESYS_CONTEXT* esys_ = nullptr;                       // owned: Esys_Finalize, before tcti_ctx_
};

}  // namespace anchor::crypto
