// SPDX-License-Identifier: Apache-2.0
// File: issuance_policy.h: from a verified CSR and a profile to a complete certificate template.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ca/config.h"
#include "ca/profile.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/cert_builder.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"

namespace anchor::ca {

// NameRequest is what a requester asks to be named: the CN and SANs of its CSR, or the ones an
// operator gave on the command line. It is a request; policy decides.
struct NameRequest {
  std::string common_name;
  std::vector<crypto::GeneralName> sans;
};

// Decision is the outcome of policy: the template to sign, and what was ignored or adjusted.
struct Decision {
  crypto::CertTemplate tmpl;
  std::vector<std::string> warnings;
};

// IssuancePolicy applies a `CaConfig` to requests. It copies nothing from a CSR but the names it
// allows; every extension is decided here from the profile (STYLE.md 5.1: modifiers, validators,
// enforcers run in that order).
class IssuancePolicy final {
 public:
  explicit IssuancePolicy(const CaConfig& config) : config_(config) {}

  // NamesFromCsr reads the CN and SANs of `csr` and warns about every other requested extension,
  // which is ignored (a CA:TRUE request yields a leaf).
  static NameRequest NamesFromCsr(const crypto::Csr& csr, std::vector<std::string>& warnings,
                                  Status& unknown_names);

  // Decide returns the template for a certificate with `key` and `names` under `profile`, valid
  // for `days` (the profile's default when absent) from `now`, never beyond `issuer`'s notAfter.
  // Refusals are kPermissionDenied (policy) or kInvalidArgument (malformed input); the serial is
  // left for the authority to draw.
  // Admits checks `names` against `profile`'s name rules without a key or a validity: what a
  // token may be created for.
  Status Admits(const NameRequest& names, Profile profile) const;

  Result<Decision> Decide(const crypto::PublicKey& key, NameRequest names, Profile profile,
                          std::optional<int> days, const crypto::Certificate& issuer,
                          Clock::time_point now) const;

 private:
  Status CheckKeyType(const crypto::PublicKey& key, Profile profile) const;
  Result<NameRequest> ShapeNames(NameRequest names, Profile profile,
                                 std::vector<std::string>& warnings) const;
  Status CheckNames(const NameRequest& names, Profile profile) const;
  Status SetValidity(crypto::CertTemplate& tmpl, std::optional<int> days, Profile profile,
                     const crypto::Certificate& issuer, Clock::time_point now,
                     std::vector<std::string>& warnings) const;
  void EnforceExtensions(crypto::CertTemplate& tmpl, const crypto::PublicKey& key,
                         Profile profile) const;

  const CaConfig& config_;
};

// kClockSkewBackdate is how far notBefore is set before the issuance time.
inline constexpr std::chrono::seconds kClockSkewBackdate{60};

}  // namespace anchor::ca
