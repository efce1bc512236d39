// SPDX-License-Identifier: Apache-2.0
// File: grant.h: what an authenticated caller may obtain (its identity, profile and names), and
// the names a request gets under it. Made by `Authenticator::Authenticate`, spent by
// `Authority::Issue`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ca/config.h"
#include "ca/credential_rules.h"
#include "ca/name_request.h"
#include "ca/profile.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "store/store.h"

namespace anchor::ca {

// Grant is the answer to "who is calling, and what may they ask for". Only the Authenticator
// makes one (`Authenticator::Authenticate`), so a request that carries a grant was
// authenticated. Exactly the members of its `credential` are set:
//   kToken    `token`: the token's record; its CN and SANs bound the names, and it is consumed
//             in the transaction that records the certificate. `redeemed`: the token was used
//             before, so the grant is only to the certificate it paid for, to the same key (a
//             retry whose answer was lost).
//   kRenewal  `renewing`: the certificate being renewed; the new one carries exactly its names.
//   kFactory  `common_name`: the device's CN from its factory certificate, the one name it gets.
//   kAdmin    nothing: an admin certificate opens the admin API; it obtains no certificate.
class Grant final {
 public:
  Credential credential() const { return credential_; }
  // holder names who, for errors and logs: a certificate's subject and serial, or a token by a
  // prefix of its hash (never the secret).
  const std::string& holder() const { return holder_; }
  Profile profile() const { return profile_; }
  const std::optional<store::TokenRecord>& token() const { return token_; }
  bool redeemed() const { return redeemed_; }
  const std::optional<crypto::Certificate>& renewing() const { return renewing_; }
  const std::string& common_name() const { return common_name_; }

 private:
  friend class Authenticator;
  Grant(Credential credential, std::string holder, Profile profile)
      : credential_(credential), holder_(std::move(holder)), profile_(profile) {}

  Credential credential_;
  std::string holder_;
  Profile profile_;
  std::optional<store::TokenRecord> token_;
  bool redeemed_ = false;
  std::optional<crypto::Certificate> renewing_;
  std::string common_name_;
};

// NamesUnder applies `grant` to the names a CSR asks for and returns the names to certify:
// kPermissionDenied for a name the grant does not cover, kUnauthenticated for a used token
// (the caller may then look for the certificate that token paid for; see Authority::Issue).
Result<NameRequest> NamesUnder(const Grant& grant, const NameRequest& asked,
                               const CaConfig& config);

// NamesOfCommonName are the SANs a credential bound to `common_name` may ask for besides the
// names it was given: that name as a DNS name (lower case) or an IP address, and the role URI
// `profile` derives from it (device, service), in the "kind:value" form of GeneralName::ToString.
// Tokens and factory certificates share this rule (docs/ARCHITECTURE.md "Who may obtain what").
std::vector<std::string> NamesOfCommonName(const CaConfig& config, Profile profile,
                                           const std::string& common_name);

// AsksOnlyNamesOf refuses (kPermissionDenied) a request naming anything `cert` lacks: another
// common name, or a SAN it does not carry. The request may omit SANs (a CSR made with only
// `-subj /CN=...`; anchor adds the profile's) and spell one differently (upper case, a U-label).
// Renewals and retried enrollments must both ask only for what was granted before.
Status AsksOnlyNamesOf(const crypto::Certificate& cert, const NameRequest& asked);

}  // namespace anchor::ca
