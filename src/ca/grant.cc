// SPDX-License-Identifier: Apache-2.0
// File: grant.cc: the names a request gets under a grant.
#include "ca/grant.h"

#include <algorithm>

#include "ca/enrollment_token.h"

namespace anchor::ca {
namespace {

// RenewalNames: the renewed certificate's names, when the request asks for no other.
Result<NameRequest> RenewalNames(const crypto::Certificate& old, const NameRequest& asked) {
  //= https://www.rfc-editor.org/rfc/rfc7030#section-4.2.2
  //# the Subject field and SubjectAltName extension MUST be identical to the corresponding
  //# fields in the certificate being renewed or rekeyed.
  ANCHOR_TRY(AsksOnlyNamesOf(old, asked));
  return NameRequest{old.CommonName(), old.SubjectAltNames()};
}

// FactoryNames: a factory certificate proves who the device is, nothing more: it gets its CN
// and the names its profile derives from it (the role URI, the CN as a SAN), never names it
// asks for.
Result<NameRequest> FactoryNames(const Grant& grant, const NameRequest& asked,
                                 const CaConfig& config) {
  if (asked.common_name != grant.common_name()) {
    return Error(Code::kPermissionDenied, "a factory certificate for '" + grant.common_name() +
                                              "' may enroll only that common name, not '" +
                                              asked.common_name + "'");
  }
  const std::string own_uri = config.RoleUri(grant.profile(), grant.common_name());
  for (const crypto::GeneralName& san : asked.sans) {
    if (san.kind != crypto::GeneralName::Kind::kUri || san.value != own_uri) {
      return Error(Code::kPermissionDenied,
                   "a factory certificate may enroll only its own common name; the request "
                   "also asks for " +
                       san.ToString());
    }
  }
  return NameRequest{grant.common_name(), {}};
}

}  // namespace

Status AsksOnlyNamesOf(const crypto::Certificate& cert, const NameRequest& asked) {
  if (asked.common_name != cert.CommonName()) {
    return Error(Code::kPermissionDenied, "the request must ask for the same common name '" +
                                              cert.CommonName() + "', not '" + asked.common_name +
                                              "'");
  }
  const std::vector<crypto::GeneralName> granted = cert.SubjectAltNames();
  for (const crypto::GeneralName& requested : asked.sans) {
    ANCHOR_ASSIGN_OR_RETURN(const crypto::GeneralName san, crypto::NormalizeGeneralName(requested));
    if (std::find(granted.begin(), granted.end(), san) == granted.end()) {
      return Error(Code::kPermissionDenied, "the request cannot add the name '" + san.ToString() +
                                                "'; the certificate it follows does not carry it");
    }
  }
  return OkStatus();
}

Result<NameRequest> NamesUnder(const Grant& grant, const NameRequest& asked,
                               const CaConfig& config) {
  ANCHOR_TRY(MayObtain(grant.credential(), grant.profile()));
  switch (grant.credential()) {
    case Credential::kToken:
      if (grant.redeemed() || !grant.token()) {
        return TokenRefusal();
      }
      return BindNames(*grant.token(), asked, config);
    case Credential::kRenewal:
      return RenewalNames(*grant.renewing(), asked);
    case Credential::kFactory:
      return FactoryNames(grant, asked, config);
    case Credential::kAdmin:     // refused by MayObtain above
    case Credential::kOperator:  // asks with an OperatorRequest, not a grant
      break;
  }
  return Error(Code::kPermissionDenied, std::string(CredentialName(grant.credential())) +
                                            " obtains no certificate by a grant");
}

}  // namespace anchor::ca
