// SPDX-License-Identifier: Apache-2.0
// File: chain_verifier.h: path validation (RFC 5280) through OpenSSL's X509_verify_cert.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"

namespace anchor::crypto {

// Purpose is what the leaf must be good for.
enum class Purpose { kAny, kServer, kClient };

// VerifyOptions says what a chain must satisfy.
struct VerifyOptions {
  std::vector<Certificate> trusted;    // trust anchors (roots, or an intermediate: partial chain)
  std::vector<Certificate> untrusted;  // intermediates the leaf may chain through
  std::vector<Crl> crls;               // checked for the leaf when non-empty
  std::string host;                    // DNS name or IP the leaf must carry, when non-empty
  Purpose purpose = Purpose::kAny;
  std::optional<Clock::time_point> at;  // default: now
  bool strict = true;                   // X509_V_FLAG_X509_STRICT, as `openssl verify -x509_strict`
};

// VerifyChain validates `leaf`. On failure it returns kInvalidArgument whose message is one line
// naming the certificate at fault and the reason (e.g. "certificate has expired").
Result<std::vector<Certificate>> VerifyChain(const Certificate& leaf, const VerifyOptions& options);

}  // namespace anchor::crypto
