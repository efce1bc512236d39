// SPDX-License-Identifier: Apache-2.0
// File: admin_client.h: the admin API of `anchor serve`, for `anchor list/revoke/token --server`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/https_client.h"
#include "client/server_list.h"

namespace anchor::client {

// AdminClient calls /api/v1/ on the replicas of `servers`, failing over between them as
// ServerList::Send does, through `http`, which must present an admin certificate. Each call
// returns the server's JSON, or an error whose code matches the status. A call whose answer was
// lost may have been carried out by the replica that lost it: a revocation sent again elsewhere
// is then refused as "already revoked" (409), and a token made again leaves the first one unused
// (nobody ever saw it; it expires).
class AdminClient final {
 public:
  AdminClient(HttpsClient& http, ServerList servers) : http_(http), servers_(std::move(servers)) {}
  // AdminClient(http, base_url) calls the one server at `base_url`.
  AdminClient(HttpsClient& http, std::string base_url)
      : AdminClient(http, ServerList(std::move(base_url))) {}

  // ListCertificates passes `query` ("status=valid&profile=device") through.
  Result<nlohmann::json> ListCertificates(const std::string& query);
  Result<nlohmann::json> Revoke(const std::string& serial, const std::string& reason);
  Result<nlohmann::json> CreateToken(const std::string& cn, const std::vector<std::string>& sans,
                                     const std::string& profile, const std::string& ttl);

 private:
  Result<nlohmann::json> Parse(const std::string& what, const HttpResult& result);
  HttpsClient& http_;
  ServerList servers_;
};

}  // namespace anchor::client
