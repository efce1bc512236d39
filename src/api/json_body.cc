// SPDX-License-Identifier: Apache-2.0
// File: json_body.cc: JSON request bodies and answers.
#include "api/json_body.h"

#include <algorithm>

#include "core/text.h"
#include "http/header_fields.h"

namespace anchor::api {

http::Response Json(int status, const nlohmann::json& body) {
  return http::Response{
      status, "application/json", {{"Cache-Control", "no-store"}}, body.dump(2) + "\n"};
}

Result<nlohmann::json> ParseBody(const http::Request& request,
                                 const std::vector<std::string>& known) {
  if (request.body.empty()) {
    return nlohmann::json::object();
  }
  //= https://www.rfc-editor.org/rfc/rfc8259#section-11
  //# Type name:  application
  //#
  //# Subtype name:  json
  if (!http::IsMediaType(request.Header("Content-Type"), "application/json")) {
    return Error(Code::kInvalidArgument, "send the body as Content-Type: application/json");
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return Error(Code::kInvalidArgument, "the body is not a JSON object");
  }
  for (const auto& [name, value] : body.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Error(Code::kInvalidArgument,
                   "unknown member '" + name + "' in the body; expected " + Join(known, ", "));
    }
  }
  return body;
}

Result<std::string> StringField(const nlohmann::json& body, const char* name,
                                std::string fallback) {
  if (!body.contains(name)) {
    return fallback;
  }
  if (!body[name].is_string()) {
    return Error(Code::kInvalidArgument, std::string("'") + name + "' must be a string");
  }
  return body[name].get<std::string>();
}

}  // namespace anchor::api
