// SPDX-License-Identifier: Apache-2.0
// File: crl.h: RFC 5280 certificate revocation lists: build, sign, parse.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/key.h"
#include "crypto/ossl_fwd.h"

namespace anchor::crypto {

// RevokedEntry is one CRL entry. `reason` is a CRLReason code (RFC 5280 5.3.1); 0
// (unspecified) is encoded by leaving the reasonCode extension out, as 5.3.1 asks.
struct RevokedEntry {
  std::vector<uint8_t> serial;
  Clock::time_point revoked_at;
  int reason = 0;
};

// CrlTemplate is everything the CA decided about a CRL.
struct CrlTemplate {
  int64_t crl_number = 1;
  Clock::time_point this_update;
  Clock::time_point next_update;
  std::vector<RevokedEntry> entries;
  // distribution_point is the URL written into certificates' CRL distribution points. When set,
  // the CRL carries a critical issuingDistributionPoint with exactly that fullName (and
  // onlyContainsUserCerts), so relying parties match the two.
  std::string distribution_point;
};

// Crl is an immutable parsed CRL.
class Crl final {
 public:
  // Parse reads a PEM "X509 CRL" or a DER CRL.
  static Result<Crl> Parse(std::string_view data);
  static Result<Crl> FromDer(std::span<const uint8_t> der);

  std::vector<uint8_t> ToDer() const;
  std::string ToPem() const;
  std::string Issuer() const;
  Clock::time_point ThisUpdate() const;
  Clock::time_point NextUpdate() const;
  // Number is the cRLNumber, or -1 when absent.
  int64_t Number() const;
  std::vector<RevokedEntry> Entries() const;
  // EntryCount is how many entries it lists (Entries().size(), without decoding them).
  size_t EntryCount() const;
  std::vector<std::string> IssuingDistributionPoints() const;
  std::string AuthorityKeyIdHex() const;
  bool VerifySignedBy(const PublicKey& issuer) const;

 private:
  friend struct internal::Handles;  // the OpenSSL object, for crypto/internal/handles.h
  explicit Crl(ossl::Ptr<X509_crl_st> crl) : crl_(std::move(crl)) {}
  ossl::Ptr<X509_crl_st> crl_;
};

// SignCrl builds the CRL of `tmpl` for `issuer` and signs it with `issuer_key`.
Result<Crl> SignCrl(const CrlTemplate& tmpl, const Certificate& issuer,
                    const PrivateKey& issuer_key);

// ReasonName and ParseReason convert CRLReason codes to the RFC 5280 names and back.
std::string_view ReasonName(int reason);
Result<int> ParseReason(std::string_view name);

}  // namespace anchor::crypto
