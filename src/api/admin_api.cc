// SPDX-License-Identifier: Apache-2.0
// File: admin_api.cc: authorization and the admin routes.
#include "api/admin_api.h"

#include <nlohmann/json.hpp>

#include "api/json_body.h"
#include "api/record_json.h"
#include "ca/enrollment_token.h"
#include "ca/serial_number.h"
#include "core/duration.h"
#include "core/text.h"
#include "crypto/crl.h"
#include "crypto/general_name.h"
#include "http/header_fields.h"

namespace anchor::api {
namespace {

constexpr std::string_view kCertificates = "/api/v1/certificates";
constexpr std::string_view kTokens = "/api/v1/tokens";

http::Response Refuse(Code code, std::string message) {
  return http::ErrorResponse(Error(code, std::move(message)));
}

}  // namespace

bool AdminApi::Handles(const std::string& path) {
  return path == "/metrics" || path.rfind(kCertificates, 0) == 0 || path == kTokens;
}

Status AdminApi::Authorize(const http::Request& request) const {
  if (request.peer_chain.empty()) {
    return Error(Code::kUnauthenticated,
                 "the admin API needs an admin client certificate (admin.crt of the CA home, or "
                 "one issued with `anchor issue --profile admin`)");
  }
  ANCHOR_TRY(authenticator_.Authenticate(ca::AdminCredential{request.peer_chain.front()}));
  return OkStatus();
}

http::Response AdminApi::Handle(const http::Request& request) {
  if (auto st = Authorize(request); !st) {
    return http::ErrorResponse(st.error());
  }
  const std::string path = request.Path();
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (path == kCertificates && get) {
    return ListCertificates(request);
  }
  // Every other route takes its arguments in the path or the body: a query parameter there
  // (`revoke?reason=keyCompromise`) would be lost without a word.
  if (auto st = http::OnlyQueryParameters(request, {}); !st) {
    return http::ErrorResponse(st.error());
  }
  if (path == "/metrics" && get) {
    return http::Response{200, "text/plain; version=0.0.4", {}, metrics_.Render()};
  }
  if (path == kTokens && post) {
    return CreateToken(request);
  }
  if (path.rfind(std::string(kCertificates) + "/", 0) == 0) {
    std::string rest = path.substr(kCertificates.size() + 1);
    const std::string_view revoke = "/revoke";
    if (post && rest.size() > revoke.size() && rest.ends_with(revoke)) {
      return RevokeCertificate(rest.substr(0, rest.size() - revoke.size()), request);
    }
    if (get && rest.find('/') == std::string::npos) {
      return GetCertificate(rest);
    }
  }
  return Refuse(Code::kNotFound, "no such endpoint: " + request.method + " " + path);
}

http::Response AdminApi::ListCertificates(const http::Request& request) {
  if (auto st = http::OnlyQueryParameters(request,
                                          {"status", "profile", "expiring_within_days", "limit"});
      !st) {
    return http::ErrorResponse(st.error());
  }
  store::ListFilter filter;
  filter.now = UnixSeconds(authority_.clock().Now());
  const auto status = ParseStatusFilter(request.Query("status").value_or("any"));
  if (!status) {
    return Refuse(Code::kInvalidArgument, "status must be valid, revoked, expired or any");
  }
  filter.status = *status;
  filter.profile = request.Query("profile").value_or("");
  if (auto days = request.Query("expiring_within_days")) {
    auto n = http::ParseCount(*days);
    if (!n || *n > 36500) {
      return Refuse(Code::kInvalidArgument, "expiring_within_days must be a number of days");
    }
    filter.expiring_before = filter.now + *n * 86400;
  }
  filter.limit = 1000;
  if (auto limit = request.Query("limit")) {
    auto n = http::ParseCount(*limit);
    if (!n || *n < 1 || *n > 100000) {
      return Refuse(Code::kInvalidArgument, "limit must be between 1 and 100000");
    }
    filter.limit = static_cast<size_t>(*n);
  }
  auto records = store_.List(filter);
  if (!records) {
    return http::ErrorResponse(records.error());
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : *records) {
    list.push_back(RecordJson(r, filter.now));
  }
  return Json(200, {{"certificates", std::move(list)}});
}

http::Response AdminApi::GetCertificate(const std::string& serial) {
  auto normal = ca::NormalizeSerial(serial);
  if (!normal) {
    return http::ErrorResponse(normal.error());
  }
  auto record = store_.FindBySerial(*normal);
  if (!record) {
    return http::ErrorResponse(record.error());
  }
  nlohmann::json j = RecordJson(*record, UnixSeconds(authority_.clock().Now()));
  auto cert = crypto::Certificate::FromDer(record->der);
  if (cert) {
    j["pem"] = cert->ToPem();
  }
  return Json(200, j);
}

http::Response AdminApi::RevokeCertificate(const std::string& serial,
                                           const http::Request& request) {
  auto body = ParseBody(request, {"reason"});
  if (!body) {
    return http::ErrorResponse(body.error());
  }
  auto reason_name = StringField(*body, "reason", "unspecified");
  if (!reason_name) {
    return http::ErrorResponse(reason_name.error());
  }
  auto reason = crypto::ParseReason(*reason_name);
  if (!reason) {
    return http::ErrorResponse(reason.error());
  }
  auto event = authority_.Revoke(serial, *reason);
  if (!event) {
    return http::ErrorResponse(event.error());
  }
  metrics_.revoked.fetch_add(1, std::memory_order_relaxed);
  http::Response response = Json(200, {{"serial", event->serial},
                                       {"seq", event->seq},
                                       {"revoked_at", Iso8601(FromUnixSeconds(event->revoked_at))},
                                       {"reason", crypto::ReasonName(event->reason)}});
  response.log_fields.emplace_back("revoked", event->serial);
  return response;
}

http::Response AdminApi::CreateToken(const http::Request& request) {
  auto body = ParseBody(request, {"cn", "sans", "profile", "ttl"});
  if (!body) {
    return http::ErrorResponse(body.error());
  }
  auto cn = StringField(*body, "cn", "");
  auto profile_name = StringField(*body, "profile", "device");
  auto ttl_text = StringField(*body, "ttl", "24h");
  for (const auto* field : {&cn, &profile_name, &ttl_text}) {
    if (!*field) {
      return http::ErrorResponse(field->error());
    }
  }
  if (cn->empty()) {
    return Refuse(Code::kInvalidArgument, "'cn' is required: the name the token may enroll");
  }
  ca::NameRequest names{*cn, {}};
  if (body->contains("sans")) {
    const nlohmann::json& sans = (*body)["sans"];
    if (!sans.is_array()) {
      return Refuse(Code::kInvalidArgument, "'sans' must be a list of strings");
    }
    for (const auto& item : sans) {
      if (!item.is_string()) {
        return Refuse(Code::kInvalidArgument, "'sans' must be a list of strings");
      }
      auto name = crypto::ParseGeneralName(item.get<std::string>());
      if (!name) {
        return http::ErrorResponse(name.error());
      }
      names.sans.push_back(std::move(name).value());
    }
  }
  auto profile = ca::ParseProfile(*profile_name);
  auto ttl = ParseDuration(*ttl_text);
  if (!profile || !ttl) {
    return http::ErrorResponse(!profile ? profile.error() : ttl.error());
  }
  auto created =
      ca::CreateToken(authority_.policy(), store_, rng_, authority_.clock(), names, *profile, *ttl);
  if (!created) {
    return http::ErrorResponse(created.error());
  }
  return Json(201, {{"token", std::string(created->token.data(), created->token.size())},
                    {"cn", created->record.common_name},
                    {"sans", created->record.sans},
                    {"profile", created->record.profile},
                    {"expires_at", Iso8601(FromUnixSeconds(created->record.expires_at))}});
}

}  // namespace anchor::api
