// SPDX-License-Identifier: Apache-2.0
// File: router.cc: the routing table.
#include "server/router.h"

#include "api/hello.h"
#include "api/revocation_feed.h"
#include "crypto/base64.h"
#include "crypto/pem.h"
#include "http/header_fields.h"

namespace anchor::server {

std::optional<http::Response> Router::RefuseExpiredClient(const http::Request& request,
                                                          const std::string& path) const {
  if (request.peer_chain.empty() ||
      (path == "/.well-known/est/simplereenroll" && request.method == "POST")) {
    return std::nullopt;  // no certificate, or a renewal: Authority::IdentifyClient decides
  }
  auto leaf = crypto::Certificate::FromDer(request.peer_chain.front());
  // TLS flags a leaf that had expired at the handshake; the clock also catches one that
  // expired since, on a kept-alive connection or a resumed session.
  if (!leaf || (!request.peer_expired && authority_.clock().Now() < leaf->NotAfter())) {
    return std::nullopt;
  }
  // Only a certificate this CA issued can be renewed here; a factory certificate cannot.
  const bool ours = leaf->Issuer() == authority_.intermediate().Subject();
  const int grace = authority_.config().server.renewal_grace_seconds;
  std::string what_now = "enroll again with a token";
  if (ours && grace > 0) {
    what_now = "renew it at /.well-known/est/simplereenroll within " + std::to_string(grace) +
               " s of its expiry, or " + what_now;
  }
  return http::ErrorResponse(Error(
      Code::kUnauthenticated, "client certificate " + leaf->SerialHex() + " (" + leaf->Subject() +
                                  ") expired on " + Iso8601(leaf->NotAfter()) + "; " + what_now));
}

http::Response Router::Crl() {
  // Caller holds mu_. Regenerate only when a revocation happened since, or half the CRL's
  // validity has passed; otherwise every GET would sign a CRL and grow the audit log.
  auto next = authority_.RevocationsSince(crl_cursor_, 1);  // one row: is anything new?
  if (!next) {
    return http::ErrorResponse(next.error());
  }
  const Clock::time_point now = authority_.clock().Now();
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

http::Response Router::Est(const std::string& path, const http::Request& request) {
  const auto start = std::chrono::steady_clock::now();
  const bool reenroll = path == "simplereenroll";
  http::Response response;
  {
    std::lock_guard lock(mu_);
    response = reenroll ? est_.SimpleReenroll(request) : est_.SimpleEnroll(request);
  }
  metrics_.ObserveEnrollment(std::chrono::steady_clock::now() - start);
  if (response.status == 200) {
    (reenroll ? metrics_.renewed : metrics_.issued).fetch_add(1, std::memory_order_relaxed);
  } else if (response.status < 500) {
    metrics_.enroll_refused.fetch_add(1, std::memory_order_relaxed);
  }
  return response;
}

http::Response Router::Ocsp(const http::Request& request, const std::string& path) {
  std::vector<uint8_t> der;
  if (request.method == "POST") {
    //= https://www.rfc-editor.org/rfc/rfc6960#appendix-A.1
    //# The Content-Type header has the value "application/ocsp-request", while the body of the
    //# message is the binary value of the DER encoding of the OCSPRequest.
    if (!http::IsMediaType(request.Header("Content-Type"), "application/ocsp-request")) {
      return http::TextResponse(415, "send Content-Type: application/ocsp-request");
    }
    der = responder_.Respond(crypto::AsBytes(request.body));
  } else {
    //= https://www.rfc-editor.org/rfc/rfc6960#appendix-A.1
    //# An OCSP request using the GET method is constructed as follows:
    //# GET {url}/{url-encoding of base-64 encoding of the DER encoding of the OCSPRequest}
    // Clients differ in what they escape: '+', '/' and '=' arrive escaped or not, in either
    // case of hex, and a responder URL ending in '/' gives "/ocsp//...". Base64 of a DER
    // OCSPRequest (a SEQUENCE, 0x30) starts with 'M', so leading slashes are never part of it.
    std::string_view rest = std::string_view(path).substr(std::string_view("/ocsp/").size());
    while (!rest.empty() && rest.front() == '/') {
      rest.remove_prefix(1);
    }
    const auto encoded = http::PercentDecode(rest, /*plus_is_space=*/false);
    const auto request_der = crypto::Base64Decode(encoded.value_or(""));
    if (!encoded || !request_der) {
      return http::TextResponse(400, "the path after /ocsp/ is not a URL-encoded base64 OCSP request");
    }
    der = responder_.Respond(*request_der);
  }
  return http::Response{200, "application/ocsp-response", {}, std::string(der.begin(), der.end())};
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
  // "/ocsp/" too: the AIA URL a client was given may end in a slash.
  if (((path == "/ocsp" || path == "/ocsp/") && post) || (path.rfind("/ocsp/", 0) == 0 && get)) {
    return Ocsp(request, path);
  }
  if (path == "/intermediate.crt" && get) {
    const auto der = authority_.intermediate().ToDer();
    return http::Response{200, "application/pkix-cert", {}, std::string(der.begin(), der.end())};
  }
  if (path == "/crl" && get) {
    std::lock_guard lock(mu_);
    return Crl();
  }
  if (!request.secure) {
    // Plain HTTP carries only what is signed (OCSP responses, CRLs, certificates): enrollment
    // tokens, CSRs and the admin API never travel without TLS.
    return http::TextResponse(403, "this endpoint is served over HTTPS only");
  }
  if (path == "/hello" && get) {
    return api::Hello(authority_, request);  // IdentifyClient only reads: no lock needed
  }
  // The feed is unsigned: over TLS only, so nobody in between can hide a revocation.
  if (path == "/api/v1/revocations" && get) {
    return api::RevocationFeed(authority_, request);
  }
  constexpr std::string_view kEst = "/.well-known/est/";
  if (path.rfind(kEst, 0) == 0) {
    const std::string op = path.substr(kEst.size());
    if (get && (op == "cacerts" || op == "csrattrs")) {
      std::lock_guard lock(mu_);
      return op == "cacerts" ? est_.CaCerts() : est_.CsrAttrs();
    }
    if (post && (op == "simpleenroll" || op == "simplereenroll")) {
      return Est(op, request);
    }
  }
  if (api::AdminApi::Handles(path)) {
    std::lock_guard lock(mu_);
    return admin_.Handle(request);
  }
  return http::TextResponse(404, "no such endpoint: " + request.method + " " + path);
}

}  // namespace anchor::server
