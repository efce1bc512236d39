// SPDX-License-Identifier: Apache-2.0
// File: admin_api.h: the admin API under /api/v1/ (JSON) and /metrics, for admin certificates.
#pragma once

#include "api/metrics.h"
#include "ca/authenticator.h"
#include "ca/authority.h"
#include "core/rng.h"
#include "http/http_message.h"

namespace anchor::api {

// AdminApi answers, for a client presenting an admin certificate of this CA (profile "admin",
// unrevoked, unexpired):
//   GET  /api/v1/certificates[?status=valid|revoked|expired&profile=P&expiring_within_days=N
//        &limit=N]                          -> {"certificates": [record...]}
//   GET  /api/v1/certificates/{serial}      -> record + "pem"
//   POST /api/v1/certificates/{serial}/revoke  {"reason": "keyCompromise"} -> the event
//   POST /api/v1/tokens  {"cn", "sans", "profile", "ttl"} -> 201 {"token", "expires_at", ...}
//   GET  /metrics                            -> Prometheus text
// No certificate is 401; any other certificate is 403. It borrows everything and holds no state
// of its own: it may be called from several threads, as the Authority may.
class AdminApi final {
 public:
  AdminApi(ca::Authority& authority, const ca::Authenticator& authenticator, store::Store& store,
           Rng& rng, Metrics& metrics)
      : authority_(authority),
        authenticator_(authenticator),
        store_(store),
        rng_(rng),
        metrics_(metrics) {}

  // Handles is true for the paths this API owns.
  static bool Handles(const std::string& path);
  http::Response Handle(const http::Request& request);

 private:
  Status Authorize(const http::Request& request) const;
  http::Response ListCertificates(const http::Request& request);
  http::Response GetCertificate(const std::string& serial);
  http::Response RevokeCertificate(const std::string& serial, const http::Request& request);
  http::Response CreateToken(const http::Request& request);

  ca::Authority& authority_;
  const ca::Authenticator& authenticator_;
  store::Store& store_;
  Rng& rng_;
  Metrics& metrics_;
};

}  // namespace anchor::api
