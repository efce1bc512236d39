// SPDX-License-Identifier: Apache-2.0
// File: admin_client.h: the admin API of `anchor serve`, for `anchor list/revoke/token --server`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/https_client.h"

namespace anchor::client {

// AdminClient calls /api/v1/ on `base_url` through `http`, which must present an admin
// certificate. Each call returns the server's JSON, or an error whose code matches the status.
class AdminClient final {
 public:
  AdminClient(HttpsClient& http, std::string base_url)
      : http_(http), base_url_(std::move(base_url)) {}

  // ListCertificates passes `query` ("status=valid&profile=device") through.
  Result<nlohmann::json> ListCertificates(const std::string& query);
  Result<nlohmann::json> Revoke(const std::string& serial, const std::string& reason);
  Result<nlohmann::json> CreateToken(const std::string& cn, const std::vector<std::string>& sans,
                                     const std::string& profile, const std::string& ttl);

 private:
  Result<nlohmann::json> Parse(const std::string& what, const HttpResult& result);
  HttpsClient& http_;
  std::string base_url_;
};

}  // namespace anchor::client
