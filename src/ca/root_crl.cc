// SPDX-License-Identifier: Apache-2.0
// File: root_crl.cc: the root's CRL.
#include "ca/root_crl.h"

namespace anchor::ca {

Result<crypto::Crl> BuildRootCrl(const crypto::Certificate& root, const crypto::PrivateKey& key,
                                 store::Store& store, const Clock& clock, int days) {
  if (days < 1 || days > 3650) {
    return Error(Code::kInvalidArgument, "--days must be between 1 and 3650");
  }
  const Clock::time_point now = clock.Now();
  crypto::CrlTemplate tmpl;
  ANCHOR_ASSIGN_OR_RETURN(tmpl.crl_number, store.NextCrlNumber(UnixSeconds(now)));
  tmpl.this_update = now;
  tmpl.next_update = std::min(now + std::chrono::hours(24) * days, root.NotAfter());
  return crypto::SignCrl(tmpl, root, key);
}

}  // namespace anchor::ca
