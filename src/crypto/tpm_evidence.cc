// SPDX-License-Identifier: Apache-2.0
// File: tpm_evidence.cc: TPM evidence to and from request attributes.
#include "crypto/tpm_evidence.h"

#include <algorithm>
#include <string>
#include <utility>

namespace anchor::crypto {
namespace {

// Field is one attribute of the evidence: its OID, its name in errors, where it goes.
struct Field {
  const char* oid;
  const char* what;
  std::vector<uint8_t> TpmEvidence::*member;
};

constexpr Field kFields[] = {
    {kTpmEkCertificateOid, "the endorsement key certificate", &TpmEvidence::ek_certificate},
    {kTpmAkPublicOid, "the attestation key", &TpmEvidence::ak_public},
    {kTpmKeyPublicOid, "the key's TPM public area", &TpmEvidence::key_public},
    {kTpmCertifyInfoOid, "the key's certification", &TpmEvidence::certify_info},
    {kTpmCertifySignatureOid, "the certification's signature", &TpmEvidence::signature},
};

}  // namespace

bool HasAttestedKeyPolicy(const Certificate& cert) {
  const std::vector<std::string> policies = cert.PolicyOids();
  return std::find(policies.begin(), policies.end(), kTpmAttestedKeyPolicy) != policies.end();
}

std::vector<CsrAttribute> TpmEvidenceAttributes(const TpmEvidence& evidence) {
  std::vector<CsrAttribute> out;
  for (const Field& f : kFields) {
    out.push_back(CsrAttribute{f.oid, evidence.*f.member});
  }
  return out;
}

Result<std::optional<TpmEvidence>> ReadTpmEvidence(const Csr& csr) {
  TpmEvidence evidence;
  std::string missing;
  size_t found = 0;
  for (const Field& f : kFields) {
    ANCHOR_ASSIGN_OR_RETURN(std::optional<std::vector<uint8_t>> value,
                            csr.OctetStringAttribute(f.oid));
    if (!value || value->empty()) {
      missing += std::string(missing.empty() ? "" : ", ") + f.what;
      continue;
    }
    evidence.*f.member = std::move(value).value();
    ++found;
  }
  if (found == 0) {
    return std::optional<TpmEvidence>();
  }
  if (!missing.empty()) {
    return Error(Code::kPermissionDenied,
                 "the request's TPM attestation is incomplete: it lacks " + missing);
  }
  return std::optional<TpmEvidence>(std::move(evidence));
}

}  // namespace anchor::crypto
