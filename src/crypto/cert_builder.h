// SPDX-License-Identifier: Apache-2.0
// File: cert_builder.h: turns a fully decided `CertTemplate` into a signed certificate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/general_name.h"
#include "crypto/key.h"

namespace anchor::crypto {

// KeyUsage bits anchor sets (RFC 5280 section 4.2.1.3), combined with `|`.
enum KeyUsageBit : uint32_t {
  kDigitalSignature = 1u << 0,
  kKeyEncipherment = 1u << 2,
  kKeyCertSign = 1u << 5,
  kCrlSign = 1u << 6,
};

// ExtKeyUsage values anchor sets (RFC 5280 section 4.2.1.12).
enum class ExtKeyUsage { kServerAuth, kClientAuth, kOcspSigning };

// CertTemplate is every field of a certificate to be signed. The CA layer decides each one;
// this layer only encodes them, so nothing reaches a certificate unless the CA put it here.
struct CertTemplate {
  std::vector<uint8_t> serial;  // big-endian, positive
  std::string common_name;
  std::string organization;  // optional
  Clock::time_point not_before;
  Clock::time_point not_after;
  bool is_ca = false;
  std::optional<int> path_len;  // only with is_ca
  uint32_t key_usage = 0;       // KeyUsageBit flags; always critical
  std::vector<ExtKeyUsage> ext_key_usage;
  std::vector<GeneralName> sans;  // critical when the subject is empty
  std::vector<std::string> crl_urls;
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuer_urls;
  std::vector<std::string> permitted_dns;  // name constraints (CA certificates only)
  bool ocsp_no_check = false;              // id-pkix-ocsp-nocheck (delegated OCSP signers)
  // policy_oids are certificatePolicies (RFC 5280 4.2.1.4), dotted, without qualifiers: e.g.
  // crypto::kTpmAttestedKeyPolicy on a certificate whose key a TPM was shown to hold.
  std::vector<std::string> policy_oids;
  bool authority_key_id = true;  // false for a self-signed root
};

// SignCertificate builds the certificate of `tmpl` for `subject_key`, issued by `issuer` and
// signed with `issuer_key`. With `issuer` null the certificate is self-signed (a root) and
// `issuer_key` must match `subject_key`. The result is parsed from the signed DER, so it is
// exactly what a relying party reads; it does not reference `tmpl`.
Result<Certificate> SignCertificate(const CertTemplate& tmpl, const PublicKey& subject_key,
                                    const Certificate* issuer, const PrivateKey& issuer_key);

}  // namespace anchor::crypto
