// SPDX-License-Identifier: Apache-2.0
// File: router.cc: the routing table.
#include "server/router.h"

#include "api/hello.h"
#include "api/revocation_feed.h"
#include "ocsp/http_binding.h"

namespace anchor::server {

std::optional<http::Response> Router::RefuseExpiredClient(const http::Request& request,
                                                          const std::string& path) const {
  if (request.peer_chain.empty() ||
      (path == "/.well-known/est/simplereenroll" && request.method == "POST")) {
    return std::nullopt;  // no certificate, or a renewal: the Authenticator decides
  }
  const crypto::Certificate* leaf = &request.peer_chain.front();
  // TLS flags a leaf that had expired at the handshake; the clock also catches one that
  // expired since, on a kept-alive connection or a resumed session.
  if (!request.peer_expired && authority_.clock().Now() < leaf->NotAfter()) {
    return std::nullopt;
  }
  // Only a certificate this CA issued can be renewed here; a factory certificate cannot.
  const bool ours = leaf->Issuer() == authority_.intermediate().Subject();
  const int grace = authority_.config().server.renewal_grace_seconds;
  std::string what_now = "enroll again with a token";
  if (api::AdminApi::Handles(path)) {
    // An admin certificate is never renewed over the network (ca::MayObtain).
    what_now = "issue a new admin certificate on the CA machine (anchor issue --profile admin)";
  } else if (ours && grace > 0) {
    what_now = "renew it at /.well-known/est/simplereenroll within " + std::to_string(grace) +
               " s of its expiry, or " + what_now;
  }
  return http::ErrorResponse(Error(
      Code::kUnauthenticated, "client certificate " + leaf->SerialHex() + " (" + leaf->Subject() +
                                  ") expired on " + Iso8601(leaf->NotAfter()) + "; " + what_now));
}

http::Response Router::Crl() {
  auto der = crl_.CurrentDer();
  if (!der) {
    return http::ErrorResponse(der.error());
  }
  return http::Response{200, "application/pkix-crl", {}, std::string(der->begin(), der->end())};
}

http::Response Router::Est(const std::string& path, const http::Request& request) {
  const auto start = std::chrono::steady_clock::now();
  const bool reenroll = path == "simplereenroll";
  const http::Response response =
      reenroll ? est_.SimpleReenroll(request) : est_.SimpleEnroll(request);
  metrics_.ObserveEnrollment(std::chrono::steady_clock::now() - start);
  if (response.status == 200) {
    (reenroll ? metrics_.renewed : metrics_.issued).fetch_add(1, std::memory_order_relaxed);
  } else if (response.status < 500) {
    metrics_.enroll_refused.fetch_add(1, std::memory_order_relaxed);
  }
  return response;
}

bool Router::Blocks(const http::Request& request) {
  const std::string path = request.Path();
  return (request.method == "POST" &&
          (path == "/.well-known/est/simpleenroll" || path == "/.well-known/est/simplereenroll")) ||
         (request.method == "GET" && (path == "/crl" || path == "/api/v1/revocations")) ||
         api::AdminApi::Handles(path);
}

http::Response Router::Dispatch(const http::Request& request) {
  const std::string path = request.Path();
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (auto refusal = RefuseExpiredClient(request, path)) {
    return *refusal;
  }
  if (path == "/healthz" && get) {
    return http::TextResponse(200, "ok");
  }
  if (ocsp::IsOcspRequest(request.method, path)) {
    return ocsp::AnswerHttp(responder_, request);
  }
  if (path == "/intermediate.crt" && get) {
    const auto der = authority_.intermediate().ToDer();
    return http::Response{200, "application/pkix-cert", {}, std::string(der.begin(), der.end())};
  }
  if (path == "/crl" && get) {
    return Crl();
  }
  if (!request.secure) {
    // Plain HTTP carries only what is signed (OCSP responses, CRLs, certificates): enrollment
    // tokens, CSRs and the admin API never travel without TLS.
    return http::TextResponse(403, "this endpoint is served over HTTPS only");
  }
  if (path == "/hello" && get) {
    return api::Hello(authenticator_, request);
  }
  // The feed is unsigned: over TLS only, so nobody in between can hide a revocation.
  if (path == "/api/v1/revocations" && get) {
    return api::RevocationFeed(authority_, request);
  }
  constexpr std::string_view kEst = "/.well-known/est/";
  if (path.rfind(kEst, 0) == 0) {
    const std::string op = path.substr(kEst.size());
    if (get && (op == "cacerts" || op == "csrattrs")) {
      return op == "cacerts" ? est_.CaCerts() : est_.CsrAttrs();
    }
    if (post && (op == "simpleenroll" || op == "simplereenroll")) {
      return Est(op, request);
    }
  }
  if (api::AdminApi::Handles(path)) {
    return admin_.Handle(request);
  }
  return http::TextResponse(404, "no such endpoint: " + request.method + " " + path);
}

}  // namespace anchor::server
