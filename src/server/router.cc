// SPDX-License-Identifier: Apache-2.0
// File: router.cc: the routing table.
#include "server/router.h"

#include "api/attestation_challenge.h"
#include "api/hello.h"
#include "api/revocation_feed.h"
#include "ocsp/http_binding.h"

namespace anchor::server {

Status Router::AdmitClientCertificate(const http::Request& request, const std::string& path) const {
  if (request.peer_chain.empty() ||
      (path == "/.well-known/est/simplereenroll" && request.method == "POST")) {
    return OkStatus();  // no certificate, or a renewal: the Authenticator decides
  }
  const crypto::Certificate* leaf = &request.peer_chain.front();
  // TLS flags a leaf that had expired at the handshake; the clock also catches one that
  // expired since, on a kept-alive connection or a resumed session.
  if (!request.peer_expired && authority_.clock().Now() < leaf->NotAfter()) {
    return OkStatus();
  }
  // Only a certificate this CA issued can be renewed here; a factory certificate cannot.
  const bool ours = ca::IssuerOf(authority_.generations(), *leaf) != nullptr;
  const int grace = authority_.config().server.renewal_grace_seconds;
  std::string what_now = "enroll again with a token";
  if (api::AdminApi::Handles(path)) {
    // An admin certificate is never renewed over the network (ca::MayObtain).
    what_now = "issue a new admin certificate on the CA machine (anchor issue --profile admin)";
  } else if (ours && grace > 0) {
    what_now = "renew it at /.well-known/est/simplereenroll within " + std::to_string(grace) +
               " s of its expiry, or " + what_now;
  }
  return Error(Code::kUnauthenticated, "client certificate " + leaf->SerialHex() + " (" +
                                           leaf->Subject() + ") expired on " +
                                           Iso8601(leaf->NotAfter()) + "; " + what_now);
}

std::vector<std::unique_ptr<ca::CrlCache>> Router::CrlCaches(ca::Authority& authority) {
  std::vector<std::unique_ptr<ca::CrlCache>> out;
  for (size_t i = 0; i < authority.generations().size(); ++i) {
    out.push_back(std::make_unique<ca::CrlCache>(authority, i));
  }
  return out;
}

Result<size_t> Router::GenerationIndex(int number) const {
  const auto& generations = authority_.generations();
  for (size_t i = 0; i < generations.size(); ++i) {
    if (generations[i].number == number) {
      return i;
    }
  }
  return Error(Code::kNotFound, "intermediate generation " + std::to_string(number) +
                                    " is not served here (unknown, or expired)");
}

Result<http::Response> Router::Crl(int generation) {
  ANCHOR_ASSIGN_OR_RETURN(const size_t index, GenerationIndex(generation));
  ANCHOR_ASSIGN_OR_RETURN(const auto der, crls_.at(index)->CurrentDer());
  return http::Response{200, "application/pkix-crl", {}, std::string(der.begin(), der.end())};
}

Result<http::Response> Router::CaIssuer(int generation) const {
  ANCHOR_ASSIGN_OR_RETURN(const size_t index, GenerationIndex(generation));
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.2.1
  //# the URI MUST point to either a single DER encoded certificate as specified in [RFC2585] or
  //# a collection of certificates in a BER or DER encoded "certs-only" CMS message
  const auto der = authority_.generations().at(index).cert.ToDer();
  return http::Response{200, "application/pkix-cert", {}, std::string(der.begin(), der.end())};
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
         (request.method == "GET" &&
          (ca::GenerationOfCrlPath(path) || path == "/api/v1/revocations")) ||
         api::AdminApi::Handles(path);
}

std::string_view Router::RouteLabel(const std::string& path) {
  for (const std::string_view route : api::Metrics::kRoutes) {
    if (path == route) {
      return route;
    }
  }
  if (path.rfind("/ocsp/", 0) == 0) {
    return "/ocsp";
  }
  // Each generation's CRL and certificate at its own path count with the first one's: the
  // label set stays fixed however many rotations there are.
  if (ca::GenerationOfCrlPath(path)) {
    return "/crl";
  }
  if (ca::GenerationOfCaIssuersPath(path)) {
    return "/intermediate.crt";
  }
  if (path.rfind("/api/v1/certificates/", 0) == 0) {
    return path.ends_with("/revoke") ? "/api/v1/certificates/revoke" : "/api/v1/certificates";
  }
  return "other";
}

http::Response Router::Dispatch(const http::Request& request) {
  return http::Respond(Route(request));
}

Result<http::Response> Router::Route(const http::Request& request) {
  const std::string path = request.Path();
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (request.metrics_only) {
    // The metrics listener (--metrics-listen) serves the scrape and nothing else: no
    // certificate is asked for there, so nothing else may be reached through it.
    if (path == "/metrics" && get) {
      ANCHOR_TRY(http::OnlyQueryParameters(request, {}));
      return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", {}, metrics_.Render()};
    }
    return Error(Code::kNotFound, "the metrics listener serves only GET /metrics");
  }
  ANCHOR_TRY(AdmitClientCertificate(request, path));
  if (path == "/healthz" && get) {
    return http::TextResponse(200, "ok");
  }
  if (ocsp::IsOcspRequest(request.method, path)) {
    return ocsp::AnswerHttp(responder_, request);
  }
  if (const auto generation = ca::GenerationOfCaIssuersPath(path); generation && get) {
    return CaIssuer(*generation);
  }
  if (const auto generation = ca::GenerationOfCrlPath(path); generation && get) {
    return Crl(*generation);
  }
  if (!request.secure) {
    // Plain HTTP carries only what is signed (OCSP responses, CRLs, certificates): enrollment
    // tokens, CSRs and the admin API never travel without TLS.
    //= https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4
    //# The 403 (Forbidden) status code indicates that the server understood the request but
    //# refuses to fulfill it.
    return Error(Code::kPermissionDenied, "this endpoint is served over HTTPS only");
  }
  if (path == "/hello" && get) {
    return api::Hello(authenticator_, request);
  }
  // The feed is unsigned: over TLS only, so nobody in between can hide a revocation.
  if (path == "/api/v1/revocations" && get) {
    http::Response answer = api::RevocationFeed(authority_, request);
    if (answer.status == 200) {
      metrics_.feed_last_read.store(UnixSeconds(authority_.clock().Now()),
                                    std::memory_order_relaxed);
    }
    return answer;
  }
  if (path == api::kAttestationChallengePath && post) {
    return api::AttestationChallenge(authenticator_.key_attestation(), authority_.clock(), request);
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
  //= https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5
  //# The 404 (Not Found) status code indicates that the origin server did not find a current
  //# representation for the target resource or is not willing to disclose that one exists.
  return Error(Code::kNotFound, "no such endpoint: " + request.method + " " + path);
}

}  // namespace anchor::server
