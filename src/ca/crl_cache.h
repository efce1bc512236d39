// SPDX-License-Identifier: Apache-2.0
// File: crl_cache.h: the CRL a server hands out, signed again only when it must be.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "ca/authority.h"
#include "core/error.h"
#include "crypto/crl.h"

namespace anchor::ca {

// CrlCache keeps the last CRL `authority` signed for one intermediate generation (the one at
// `generation_index` in `Authority::generations`) and signs a new one (`Authority::BuildCrl`)
// only after a revocation was recorded since, or once half its validity has passed: otherwise
// every GET /crl would sign a CRL, take a CRL number and grow the audit log.
// Thread-safe; it borrows `authority`, which must outlive it.
class CrlCache final {
 public:
  explicit CrlCache(Authority& authority, size_t generation_index = 0)
      : authority_(authority), generation_index_(generation_index) {}

  // CurrentDer is the DER of a CRL that lists every revocation recorded before the call.
  // Errors are the store's or the signer's.
  Result<std::vector<uint8_t>> CurrentDer();

 private:
  Authority& authority_;
  size_t generation_index_;
  std::mutex mu_;  // one signer at a time: concurrent GETs after a revocation share one CRL
  std::optional<crypto::Crl> crl_;
  int64_t revocation_cursor_ = 0;  // the newest revocation it includes
};

}  // namespace anchor::ca
