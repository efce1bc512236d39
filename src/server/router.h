// SPDX-License-Identifier: Apache-2.0
// File: router.h: request target -> protocol handler.
#pragma once

#include <mutex>
#include <optional>

#include "ca/authority.h"
#include "est/est_service.h"
#include "http/http_message.h"
#include "ocsp/responder.h"

namespace anchor::server {

// Router sends each request to its handler: EST under /.well-known/est/, OCSP at /ocsp, the
// current CRL at /crl, /healthz. It serialises calls into the authority, which is
// single-threaded. It borrows everything, which must outlive it.
class Router final {
 public:
  Router(ca::Authority& authority, const ocsp::Responder& responder, const Clock& clock)
      : authority_(authority), est_(authority), responder_(responder), clock_(clock) {}

  http::Response Dispatch(const http::Request& request);

 private:
  http::Response Crl();

  std::mutex mu_;
  ca::Authority& authority_;
  std::optional<crypto::Crl> crl_;  // the CRL served, until a revocation or half its validity
  int64_t crl_cursor_ = 0;          // the revocation sequence it includes
  est::EstService est_;
  const ocsp::Responder& responder_;
  const Clock& clock_;
};

}  // namespace anchor::server
