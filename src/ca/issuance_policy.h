// SPDX-License-Identifier: Apache-2.0
// File: issuance_policy.h: from a verified CSR and a profile to a complete certificate template.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ca/config.h"
#include "ca/issuer_constraints.h"
#include "ca/name_request.h"
#include "ca/profile.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/cert_builder.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"

namespace anchor::ca {

// Decision is the outcome of policy: the template to sign, and what was ignored or adjusted.
struct Decision {
  crypto::CertTemplate tmpl;
  std::vector<std::string> warnings;
};

// IssuancePolicy applies a `CaConfig` and the issuing CAs' name constraints to requests. It
// copies nothing from a CSR but the names it allows; every extension is decided here from the
// profile (STYLE.md 5.1: modifiers, validators, enforcers run in that order). Every name is
// checked by its kind in names/ (through crypto::NormalizeGeneralName), the module every entry
// point uses.
class IssuancePolicy final {
 public:
  // The policy borrows `config`, which must outlive it.
  explicit IssuancePolicy(const CaConfig& config, IssuerConstraints constraints = {})
      : config_(config), constraints_(std::move(constraints)) {}

  // NamesFromCsr reads the CN and SANs of `csr` (`Csr::ReadContent`: a malformed extension
  // request is kInvalidArgument naming it; a SAN of a kind anchor does not issue is
  // kPermissionDenied) and warns about everything else it asked for, which is not issued:
  // other extensions, subject attributes besides the CN, CA:TRUE (a leaf is issued).
  static Result<NameRequest> NamesFromCsr(const crypto::Csr& csr,
                                          std::vector<std::string>& warnings);

  // Admits checks `names` against `profile`'s name rules without a key or a validity: what a
  // token may be created for.
  Status Admits(const NameRequest& names, Profile profile) const;

  // Decide returns the template for a certificate with `key` and `names` under `profile`, valid
  // for `days` (the profile's default when absent) from `now`, never beyond `issuer`'s notAfter.
  // Names are normalised (a warning says when one is written differently from the request).
  // Refusals are kPermissionDenied (policy, name constraints) or kInvalidArgument (malformed
  // input); the serial is left for the authority to draw.
  Result<Decision> Decide(const crypto::PublicKey& key, NameRequest names, Profile profile,
                          std::optional<int> days, const crypto::Certificate& issuer,
                          Clock::time_point now) const;

  const CaConfig& config() const { return config_; }

 private:
  Status CheckKeyType(const crypto::PublicKey& key, Profile profile) const;
  Result<NameRequest> ShapeNames(NameRequest names, Profile profile,
                                 std::vector<std::string>& warnings) const;
  Status CheckRoleUris(const std::vector<crypto::GeneralName>& sans, Profile profile,
                       const std::string& common_name) const;
  Status CheckNames(const NameRequest& names, Profile profile) const;
  Status SetValidity(crypto::CertTemplate& tmpl, std::optional<int> days, Profile profile,
                     const crypto::Certificate& issuer, Clock::time_point now,
                     std::vector<std::string>& warnings) const;
  void EnforceExtensions(crypto::CertTemplate& tmpl, const crypto::PublicKey& key,
                         Profile profile) const;

  const CaConfig& config_;
  IssuerConstraints constraints_;
};

// kClockSkewBackdate is how far notBefore is set before the issuance time.
inline constexpr std::chrono::seconds kClockSkewBackdate{60};

}  // namespace anchor::ca
