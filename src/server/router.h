// SPDX-License-Identifier: Apache-2.0
// File: router.h: request target -> protocol handler.
#pragma once

#include <memory>
#include <vector>

#include "api/admin_api.h"
#include "api/metrics.h"
#include "ca/authenticator.h"
#include "ca/authority.h"
#include "ca/crl_cache.h"
#include "ca/generation.h"
#include "est/est_service.h"
#include "http/http_message.h"
#include "ocsp/responder.h"

namespace anchor::server {

// Router sends each request to its handler:
//   /.well-known/est/{cacerts,simpleenroll,simplereenroll,csrattrs}   EST (RFC 7030)
//   POST /ocsp, GET /ocsp/{base64 request}                             OCSP (RFC 6960)
//   GET /crl, GET /intermediate.crt                                    CRL and caIssuers (DER)
//   GET /crl/N, GET /intermediate/N.crt        the same for intermediate generation N >= 2
//                                              (ca/generation.h), while it still serves
//   GET /api/v1/revocations?since=N                                    the revocation feed
//   /api/v1/certificates..., /api/v1/tokens, /metrics                  admin API
//   POST /api/v1/attestation/challenge                  TPM attestation's challenge (api/)
//   GET /hello                                                         mTLS hello (seeds 003/004)
//   GET /healthz
// A request whose client certificate has expired is refused (401) everywhere but
// simplereenroll, where the renewal grace period decides. It is called from every server thread
// at once, with no lock of its own: the Authority, the store and the caches are thread-safe. It
// borrows everything, which must outlive it.
class Router final {
 public:
  Router(ca::Authority& authority, store::Store& store, const ocsp::Responder& responder, Rng& rng,
         api::Metrics& metrics, ca::FactoryTrust factory = {})
      : authority_(authority),
        authenticator_(authority.config(), store, authority.clock(), std::move(factory)),
        crls_(CrlCaches(authority)),
        est_(authority, authenticator_),
        admin_(authority, authenticator_, store, rng, metrics),
        responder_(responder),
        metrics_(metrics) {}

  // Dispatch answers `request`: Route's response, or the answer to its error (http::Respond),
  // so that every refusal's status comes from the one table (http::kStatuses).
  http::Response Dispatch(const http::Request& request);

  // Blocks is true for the requests whose answer may sign, wait for a commit's fsync or read
  // much (enrollment, the admin API, a CRL, a page of up to 10,000 revocations of the feed): the
  // server runs those on its worker threads, so that TLS handshakes, OCSP answers and /healthz
  // are never queued behind them.
  static bool Blocks(const http::Request& request);

  // RouteLabel is the route of `path` as the metrics and the request log's rate limit count it:
  // one of api::Metrics::kRoutes ("other" for any path no handler serves).
  static std::string_view RouteLabel(const std::string& path);

 private:
  // Route is the routing table: the handler's response, or why the request reaches none (403
  // for what plain HTTP may not carry, 404 for no such endpoint).
  Result<http::Response> Route(const http::Request& request);
  // AdmitClientCertificate refuses (kUnauthenticated, 401) a request that presents an expired
  // client certificate anywhere but simplereenroll.
  Status AdmitClientCertificate(const http::Request& request, const std::string& path) const;
  // Crl answers GET /crl and /crl/N; CaIssuer GET /intermediate.crt and /intermediate/N.crt.
  Result<http::Response> Crl(int generation);
  Result<http::Response> CaIssuer(int generation) const;
  // GenerationIndex is the index in `Authority::generations` of generation `number`.
  Result<size_t> GenerationIndex(int number) const;
  static std::vector<std::unique_ptr<ca::CrlCache>> CrlCaches(ca::Authority& authority);
  http::Response Est(const std::string& path, const http::Request& request);

  ca::Authority& authority_;
  // authenticator_ decides every credential: EST's, the admin API's, /hello's.
  const ca::Authenticator authenticator_;
  // crls_ holds one CRL cache per generation, in the order of Authority::generations.
  std::vector<std::unique_ptr<ca::CrlCache>> crls_;
  est::EstService est_;
  api::AdminApi admin_;
  const ocsp::Responder& responder_;
  api::Metrics& metrics_;
};

}  // namespace anchor::server
