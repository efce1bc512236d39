// SPDX-License-Identifier: Apache-2.0
// File: router.cc: the routing table.
#include "server/router.h"

#include "crypto/pem.h"

namespace anchor::server {
namespace {

http::Response Text(int status, std::string body) {
  return http::Response{status, "text/plain", {}, std::move(body) + "\n"};
}

}  // namespace

http::Response Router::Crl() {
  // Caller holds mu_. Regenerate only when a revocation happened since, or half the CRL's
  // validity has passed; otherwise every GET would sign a CRL and grow the audit log.
  auto next = authority_.RevocationsSince(crl_cursor_, 1);  // one row: is anything new?
  if (!next) {
    return http::ErrorResponse(next.error());
  }
  const Clock::time_point now = clock_.Now();
  const bool stale = !crl_ || !next->empty() ||
                     now > crl_->ThisUpdate() + (crl_->NextUpdate() - crl_->ThisUpdate()) / 2;
  if (stale) {
    // Advance the cursor to the newest event before signing, so a revocation that lands while
    // the CRL is built is seen by the next request.
    for (auto batch = authority_.RevocationsSince(crl_cursor_, 1024); batch && !batch->empty();
         batch = authority_.RevocationsSince(crl_cursor_, 1024)) {
      crl_cursor_ = batch->back().seq;
    }
    auto crl = authority_.BuildCrl();
    if (!crl) {
      return http::ErrorResponse(crl.error());
    }
    crl_ = std::move(crl).value();
  }
  const auto der = crl_->ToDer();
  return http::Response{200, "application/pkix-crl", {}, std::string(der.begin(), der.end())};
}

http::Response Router::Dispatch(const http::Request& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (path == "/healthz" && get) {
    return Text(200, "ok");
  }
  std::lock_guard lock(mu_);
  if (path == "/.well-known/est/cacerts" && get) {
    return est_.CaCerts();
  }
  if (path == "/.well-known/est/simpleenroll" && post) {
    return est_.SimpleEnroll(request);
  }
  if (path == "/.well-known/est/csrattrs" && get) {
    return est_.CsrAttrs();
  }
  if (path == "/ocsp" && post) {
    if (request.Header("Content-Type") != "application/ocsp-request") {
      return Text(415, "send Content-Type: application/ocsp-request");
    }
    const auto der = responder_.Respond(crypto::AsBytes(request.body));
    return http::Response{200, "application/ocsp-response", {}, std::string(der.begin(), der.end())};
  }
  if (path == "/crl" && get) {
    return Crl();
  }
  return Text(404, "no such endpoint: " + request.method + " " + path);
}

}  // namespace anchor::server
