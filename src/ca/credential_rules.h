// SPDX-License-Identifier: Apache-2.0
// File: credential_rules.h: which credential may obtain which profile: the one table, kept in
// docs/ARCHITECTURE.md ("Who may obtain what") and tested cell by cell.
#pragma once

#include <string_view>

#include "ca/profile.h"
#include "core/error.h"

namespace anchor::ca {

// Credential is how the caller of an issuance was authenticated.
enum class Credential {
  kOperator,  // the CLI on the CA machine, holding the intermediate key (anchor sign/issue/init)
  kToken,     // a one-time enrollment token (EST simpleenroll)
  kRenewal,   // the certificate being renewed, over mTLS (EST simplereenroll)
  kFactory,   // a factory certificate chaining to [server] bootstrap_ca (EST simpleenroll)
  kAdmin,     // an admin client certificate (the admin API); it obtains no certificate itself
};

std::string_view CredentialName(Credential c);

// MayObtain returns OkStatus when a caller holding `credential` may obtain a certificate of
// `profile`, else kPermissionDenied saying how that profile is obtained. The admin profile is
// only ever issued by the operator: an admin certificate opens the admin API (it can revoke the
// fleet), so none is minted over the network, not even by renewing one. An admin certificate
// obtains nothing: it authorises the admin API, which makes tokens.
Status MayObtain(Credential credential, Profile profile);

}  // namespace anchor::ca
