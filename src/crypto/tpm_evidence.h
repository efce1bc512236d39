// SPDX-License-Identifier: Apache-2.0
// File: tpm_evidence.h: the evidence of a TPM-held key that a device sends in its PKCS#10
// request, as RFC 2986 attributes under anchor's OID arc, and the policy OID that marks a
// certificate whose key was shown to be in a TPM.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"

namespace anchor::crypto {

// anchor's OIDs live under 2.25.258688376349271163816718884496956034002: an OID made from a
// UUID (ITU-T X.667, RFC 4122 "2.25."), which needs no registration and collides with nobody.
inline constexpr const char* kAnchorOidArc = "2.25.258688376349271163816718884496956034002";
// The five attributes of the evidence (arc .1.N), each an OCTET STRING holding the TPM's own
// bytes: anchor parses them with libtss2-mu, never as ASN.1.
inline constexpr const char* kTpmEkCertificateOid =
    "2.25.258688376349271163816718884496956034002.1.1";  // the EK certificate, DER
inline constexpr const char* kTpmAkPublicOid =
    "2.25.258688376349271163816718884496956034002.1.2";  // the AK's TPM2B_PUBLIC
inline constexpr const char* kTpmKeyPublicOid =
    "2.25.258688376349271163816718884496956034002.1.3";  // the certified key's TPM2B_PUBLIC
inline constexpr const char* kTpmCertifyInfoOid =
    "2.25.258688376349271163816718884496956034002.1.4";  // TPM2_Certify's TPMS_ATTEST
inline constexpr const char* kTpmCertifySignatureOid =
    "2.25.258688376349271163816718884496956034002.1.5";  // its TPMT_SIGNATURE by the AK
// kTpmAttestedKeyPolicy is the certificatePolicies policy identifier (RFC 5280 4.2.1.4) of a
// certificate whose key anchor verified to be made in, and unable to leave, a TPM whose
// endorsement key a configured manufacturer certified (docs/ARCHITECTURE.md "TPM attestation").
inline constexpr const char* kTpmAttestedKeyPolicy =
    "2.25.258688376349271163816718884496956034002.2.1";

// HasAttestedKeyPolicy tells whether `cert` carries kTpmAttestedKeyPolicy: its key was shown to
// be in a TPM when it was issued.
bool HasAttestedKeyPolicy(const Certificate& cert);

// TpmEvidence is what a device shows of its new key: its TPM's endorsement certificate, its
// attestation key (AK), and the AK's certification of the key (TPM 2.0 Part 3 18.2).
struct TpmEvidence {
  std::vector<uint8_t> ek_certificate;  // DER X.509
  std::vector<uint8_t> ak_public;       // marshalled TPM2B_PUBLIC
  std::vector<uint8_t> key_public;      // marshalled TPM2B_PUBLIC
  std::vector<uint8_t> certify_info;    // marshalled TPMS_ATTEST
  std::vector<uint8_t> signature;       // marshalled TPMT_SIGNATURE
};

// TpmEvidenceAttributes are the request attributes that carry `evidence` (Csr::Create).
std::vector<CsrAttribute> TpmEvidenceAttributes(const TpmEvidence& evidence);

// ReadTpmEvidence is the evidence `csr` carries: nullopt when it carries none of the five
// attributes; kPermissionDenied naming the missing ones when it carries some but not all;
// kInvalidArgument for an attribute that is malformed (Csr::OctetStringAttribute).
Result<std::optional<TpmEvidence>> ReadTpmEvidence(const Csr& csr);

}  // namespace anchor::crypto
