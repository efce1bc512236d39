// SPDX-License-Identifier: Apache-2.0
// File: credential_rules.cc: the credential -> profile table.
#include "ca/credential_rules.h"

#include <string>

namespace anchor::ca {

std::string_view CredentialName(Credential c) {
  switch (c) {
    case Credential::kOperator:
      return "the operator";
    case Credential::kToken:
      return "an enrollment token";
    case Credential::kRenewal:
      return "renewal";
    case Credential::kFactory:
      return "a factory certificate";
    case Credential::kAdmin:
      return "an admin certificate";
  }
  return "unknown";
}

Status MayObtain(Credential credential, Profile profile) {
  if (credential == Credential::kAdmin) {
    return Error(Code::kPermissionDenied,
                 "an admin certificate opens the admin API; it obtains no certificate itself "
                 "(make a token with POST /api/v1/tokens)");
  }
  if (profile != Profile::kAdmin || credential == Credential::kOperator) {
    return OkStatus();
  }
  return Error(Code::kPermissionDenied,
               "an admin certificate cannot be obtained by " +
                   std::string(CredentialName(credential)) +
                   "; it is only issued on the CA machine with `anchor issue --profile admin`");
}

}  // namespace anchor::ca
