// SPDX-License-Identifier: Apache-2.0
// File: chain_verifier.h: path validation (RFC 5280) through OpenSSL's X509_verify_cert, with
// its verdict as data.
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

// ChainFailure is why a chain did not verify, as data (BoringSSL's `CertErrors`): callers and
// tests branch on `id`, people read `Message()`. `id` is one of a small stable set, each mapped
// from OpenSSL's X509_V_ERR_* codes in one table (chain_verifier.cc):
//   certificate-expired, certificate-not-yet-valid, unknown-issuer, self-signed-not-trusted,
//   bad-signature, name-constraints-violation, unsuitable-purpose, hostname-mismatch,
//   ip-address-mismatch, certificate-revoked, crl-missing, crl-expired, crl-not-yet-valid,
//   crl-invalid, path-too-long, invalid-ca, invalid-extension, strict-violation,
// and "chain-invalid" for every other code.
struct ChainFailure {
  std::string id;
  int depth = 0;        // of the certificate at fault: 0 is the leaf, 1 its issuer, ...
  std::string subject;  // that certificate's RFC 2253 subject; empty when OpenSSL names none
  std::string reason;   // OpenSSL's text for the code, e.g. "certificate has expired"

  // Message is the one line users see, e.g.
  // "certificate has expired (depth 0: CN=device-1)".
  std::string Message() const;
};

// ChainVerdict is the outcome of a validation that ran: the verified chain, or why there is none.
struct ChainVerdict {
  std::vector<Certificate> chain;  // leaf first, trust anchor last; empty on failure
  std::optional<ChainFailure> failure;

  bool Ok() const { return !failure.has_value(); }
};

// ValidatePath validates `leaf` under `options`. It returns an `Error` only when validation
// cannot run (no trust anchor: kInvalidArgument; a `host` that is no host name:
// kInvalidArgument; OpenSSL out of memory: kInternal); a chain that does not verify is a
// verdict whose `failure` says why.
Result<ChainVerdict> ValidatePath(const Certificate& leaf, const VerifyOptions& options);

// VerifyCrl checks `crl` as a relying party checks the CRL of `issuer` before using it
// (RFC 5280 6.3.3 (f), (g)): `issuer` verifies under `options` (its path to a trust anchor at
// `options.at`; `purpose`, `host` and `crls` are not used) and may sign CRLs (keyUsage cRLSign);
// the CRL names it as issuer (by name, and by authorityKeyIdentifier when both carry key
// identifiers), is signed by its key, is a v2 CRL with a cRLNumber, a thisUpdate not after
// `options.at` and a nextUpdate after it, and no critical extension but issuingDistributionPoint.
// A CRL that fails is kInvalidArgument naming the first failure; an error of `ValidatePath` that
// could not run is passed on.
Status VerifyCrl(const Crl& crl, const Certificate& issuer, const VerifyOptions& options);

// VerifyChain is `ValidatePath` for callers that only need pass or fail: it returns the verified
// chain, or kInvalidArgument whose message is `ChainFailure::Message()`.
Result<std::vector<Certificate>> VerifyChain(const Certificate& leaf, const VerifyOptions& options);

}  // namespace anchor::crypto
