// SPDX-License-Identifier: Apache-2.0
// File: json_body.h: the JSON bodies of anchor's own HTTP API (admin API, attestation
// challenge): reading a request's object, writing an answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "http/http_message.h"

namespace anchor::api {

// Json is an answer of `status` with `body` (application/json, not to be cached).
http::Response Json(int status, const nlohmann::json& body);

// ParseBody reads a JSON object body with only the `known` members; an empty body is an empty
// object. A member it does not know is refused, naming it: a misspelt "profle" must not quietly
// become the default profile. Errors are kInvalidArgument (400).
Result<nlohmann::json> ParseBody(const http::Request& request,
                                 const std::vector<std::string>& known);

// StringField reads an optional string member; another type is an error naming the member.
Result<std::string> StringField(const nlohmann::json& body, const char* name, std::string fallback);

}  // namespace anchor::api
