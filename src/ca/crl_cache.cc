// SPDX-License-Identifier: Apache-2.0
// File: crl_cache.cc: the CRL a server hands out: the newest one stored while it serves, signed
// again only when it must be, by one server at a time.
#include "ca/crl_cache.h"

namespace anchor::ca {

Result<std::vector<uint8_t>> CrlCache::CurrentDer() {
  std::lock_guard lock(mu_);
  // The newest revocation is read first: whatever was committed before this request is at or
  // before it, so a CRL that covers it lists every such revocation.
  ANCHOR_ASSIGN_OR_RETURN(const int64_t latest, authority_.LatestRevocation());
  if (crl_ && crl_->Serves(latest, UnixSeconds(authority_.clock().Now()))) {
    return crl_->der;
  }
  const Generation& g = authority_.generations().at(generation_index_);
  ANCHOR_ASSIGN_OR_RETURN(store::StoredCrl next, authority_.CurrentCrl(g, latest));
  //= https://www.rfc-editor.org/rfc/rfc5280#section-5.2.3
  //# The CRL number is a non-critical CRL extension that conveys a monotonically increasing
  //# sequence number for a given CRL scope and CRL issuer.
  if (crl_ && next.number < crl_->number) {
    return Error(Code::kFailedPrecondition,
                 "the newest CRL of generation " + std::to_string(g.number) + " in the store is " +
                     std::to_string(next.number) + ", older than CRL " +
                     std::to_string(crl_->number) +
                     " this server handed out: was the database restored from an older copy? "
                     "Set its CRL number past " +
                     std::to_string(crl_->number) + " (table crl_numbers) and restart");
  }
  crl_ = std::move(next);
  return crl_->der;
}

}  // namespace anchor::ca
