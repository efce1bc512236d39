// SPDX-License-Identifier: Apache-2.0
// File: client_identity.cc: identity from a client certificate; the issuer check.
#include "plugins/mosquitto/client_identity.h"

namespace anchor::mqtt {

Result<ClientIdentity> IdentifyClient(const crypto::Certificate& cert, const AclPolicy& policy) {
  ClientIdentity who;
  who.common_name = cert.CommonName();
  if (who.common_name.empty()) {
    return Error(Code::kInvalidArgument, "the certificate has no common name");
  }
  who.serial = cert.SerialHex();
  for (const crypto::GeneralName& name : cert.SubjectAltNames()) {
    if (name.kind == crypto::GeneralName::Kind::kUri) {
      who.uris.push_back(name.value);
    }
  }
  who.roles = policy.RolesOf(who.common_name, who.uris);
  return who;
}

void TrustedIssuers::Set(std::vector<crypto::Certificate> issuers) {
  auto next = std::make_shared<const std::vector<crypto::Certificate>>(std::move(issuers));
  std::lock_guard lock(mu_);
  issuers_ = std::move(next);
  verified_.clear();  // a key rollover must not keep leaves of the old issuer trusted
}

bool TrustedIssuers::Known() const {
  std::lock_guard lock(mu_);
  return issuers_ != nullptr && !issuers_->empty();
}

std::vector<crypto::Certificate> TrustedIssuers::Get() const {
  std::lock_guard lock(mu_);
  return issuers_ ? *issuers_ : std::vector<crypto::Certificate>{};
}

bool TrustedIssuers::Issued(const crypto::Certificate& leaf) {
  const std::string fingerprint = leaf.Sha256Fingerprint();
  std::shared_ptr<const std::vector<crypto::Certificate>> issuers;
  {
    std::lock_guard lock(mu_);
    if (verified_.count(fingerprint) != 0) {
      return true;
    }
    issuers = issuers_;
  }
  if (issuers == nullptr) {
    return false;
  }
  for (const crypto::Certificate& issuer : *issuers) {
    if (leaf.IsIssuedBy(issuer)) {
      std::lock_guard lock(mu_);
      if (issuers_ == issuers) {  // not replaced meanwhile
        if (verified_.size() >= kMaxRemembered) {
          verified_.clear();
        }
        verified_.insert(fingerprint);
      }
      return true;
    }
  }
  refresh_wanted_.store(true);
  return false;
}

}  // namespace anchor::mqtt
