// SPDX-License-Identifier: Apache-2.0
// File: crl_cache.h: the CRL a server hands out: the newest one stored while it serves, signed
// again only when it must be, by one server at a time.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "ca/authority.h"
#include "core/error.h"
#include "store/store.h"

namespace anchor::ca {

// CrlCache hands out the CRL of one intermediate generation (the one at `generation_index` in
// `Authority::generations`). It keeps the last one in memory while it serves
// (`store::StoredCrl::Serves`: it lists every revocation committed before the request, and less
// than half its validity has passed), so a GET costs one indexed read (the latest revocation).
// When it does not, it takes the newest CRL the store holds if that one serves (another
// `anchor serve` replica on the same database, or `anchor crl`, stored it), and only otherwise
// has one signed (`Authority::CurrentCrl`): under the store's CRL lease, one server builds at a
// time, and servers that waited hand out what the builder stored. Otherwise every GET /crl would
// sign a CRL, take a CRL number and grow the audit log. The numbers it hands out never
// decrease. Thread-safe; it borrows `authority`, which must outlive it.
class CrlCache final {
 public:
  explicit CrlCache(Authority& authority, size_t generation_index = 0)
      : authority_(authority), generation_index_(generation_index) {}

  // CurrentDer is the DER of a stored CRL, checked by anchor's verifier, that lists every
  // revocation recorded before the call. Errors are the store's (kUnavailable: the database is
  // down, or the CRL lease could not be had in time) or the check's; kFailedPrecondition when the
  // store's newest CRL is older than one this cache handed out (a database restored from an
  // older copy).
  Result<std::vector<uint8_t>> CurrentDer();

 private:
  Authority& authority_;
  size_t generation_index_;
  std::mutex mu_;  // one request at a time looks further than `crl_`: they share its answer
  std::optional<store::StoredCrl> crl_;
};

}  // namespace anchor::ca
