// SPDX-License-Identifier: Apache-2.0
// File: admin_client.cc: JSON requests to the admin API.
#include "client/admin_client.h"

namespace anchor::client {

Result<nlohmann::json> AdminClient::Parse(const std::string& what, const HttpResult& result) {
  if (result.status < 200 || result.status > 299) {
    return ErrorFromResponse(what, result);
  }
  nlohmann::json j = nlohmann::json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Error(Code::kUnavailable, what + ": the server's answer is not JSON");
  }
  return j;
}

Result<nlohmann::json> AdminClient::ListCertificates(const std::string& query) {
  const std::string path = "/api/v1/certificates" + (query.empty() ? "" : "?" + query);
  ANCHOR_ASSIGN_OR_RETURN(HttpResult r, servers_.Send([&](const std::string& base) {
    return http_.Get(JoinUrl(base, path));
  }));
  return Parse("list", r);
}

Result<nlohmann::json> AdminClient::Revoke(const std::string& serial, const std::string& reason) {
  // The serial goes into the path: only hex and ':' may pass, so it cannot reshape the URL.
  if (serial.empty() || serial.find_first_not_of("0123456789abcdefABCDEF:") != std::string::npos) {
    return Error(Code::kInvalidArgument,
                 "'" + serial + "' is not a serial number; give it in hex as `anchor list` shows");
  }
  const nlohmann::json body = {{"reason", reason}};
  ANCHOR_ASSIGN_OR_RETURN(HttpResult r, servers_.Send([&](const std::string& base) {
    return http_.Post(JoinUrl(base, "/api/v1/certificates/" + serial + "/revoke"),
                      "application/json", body.dump());
  }));
  return Parse("revoke", r);
}

Result<nlohmann::json> AdminClient::CreateToken(const std::string& cn,
                                                const std::vector<std::string>& sans,
                                                const std::string& profile,
                                                const std::string& ttl) {
  const nlohmann::json body = {{"cn", cn}, {"sans", sans}, {"profile", profile}, {"ttl", ttl}};
  ANCHOR_ASSIGN_OR_RETURN(HttpResult r, servers_.Send([&](const std::string& base) {
    return http_.Post(JoinUrl(base, "/api/v1/tokens"), "application/json", body.dump());
  }));
  return Parse("token create", r);
}

}  // namespace anchor::client
