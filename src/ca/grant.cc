// SPDX-License-Identifier: Apache-2.0
// File: grant.cc: the names a request gets under a grant.
#include "ca/grant.h"

#include <algorithm>

#include "ca/enrollment_token.h"
#include "core/text.h"

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
// and may ask only for the names of that CN (`NamesOfCommonName`); the profile adds the names it
// derives.
Result<NameRequest> FactoryNames(const Grant& grant, const NameRequest& asked,
                                 const CaConfig& config) {
  if (asked.common_name != grant.common_name()) {
    return Error(Code::kPermissionDenied, "a factory certificate for '" + grant.common_name() +
                                              "' may enroll only that common name, not '" +
                                              asked.common_name + "'");
  }
  const std::vector<std::string> own =
      NamesOfCommonName(config, grant.profile(), grant.common_name());
  NameRequest bound{grant.common_name(), {}};
  for (const crypto::GeneralName& requested : asked.sans) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName san, crypto::NormalizeGeneralName(requested));
    if (std::find(own.begin(), own.end(), san.ToString()) == own.end()) {
      return Error(Code::kPermissionDenied,
                   "a factory certificate may enroll only its own common name; the request "
                   "also asks for " +
                       san.ToString());
    }
    bound.sans.push_back(std::move(san));
  }
  return bound;
}

}  // namespace

std::vector<std::string> NamesOfCommonName(const CaConfig& config, Profile profile,
                                           const std::string& common_name) {
  std::vector<std::string> names = {"dns:" + ToLower(common_name), "ip:" + common_name};
  if (const std::string uri = config.RoleUri(profile, common_name); !uri.empty()) {
    names.push_back("uri:" + uri);
  }
  return names;
}

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
