// SPDX-License-Identifier: Apache-2.0
// File: crl_cache.cc: the CRL a server hands out, signed again only when it must be.
#include "ca/crl_cache.h"

namespace anchor::ca {

Result<std::vector<uint8_t>> CrlCache::CurrentDer() {
  std::lock_guard lock(mu_);
  // Read the newest revocation before signing, so one recorded while the CRL is built is seen by
  // the next request.
  ANCHOR_ASSIGN_OR_RETURN(const int64_t latest, authority_.LatestRevocation());
  const Clock::time_point now = authority_.clock().Now();
  const bool stale = !crl_ || latest > revocation_cursor_ ||
                     now > crl_->ThisUpdate() + (crl_->NextUpdate() - crl_->ThisUpdate()) / 2;
  if (stale) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Crl crl,
                            authority_.BuildCrl(authority_.generations().at(generation_index_)));
    crl_ = std::move(crl);
    revocation_cursor_ = latest;
  }
  return crl_->ToDer();
}

}  // namespace anchor::ca
