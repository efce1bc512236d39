// SPDX-License-Identifier: Apache-2.0
// File: http_message.h: plain HTTP request/response values for the protocol handlers.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace anchor::http {

// CaseInsensitiveLess orders header names without regard to ASCII case (RFC 9110 5.1).
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

// Request is what a handler sees: no socket, no TLS object.
struct Request {
  std::string method;
  std::string target;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;

  // Header returns the value of `name`, or "" when absent.
  std::string Header(const std::string& name) const;
};

// Response is what a handler returns; server/ writes it.
struct Response {
  int status = 200;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// StatusFor maps an error code to its HTTP status (STYLE.md 4.2): the one place this happens.
int StatusFor(Code code);

// ErrorResponse is a short text/plain answer that says what was wrong, with the status of
// `error`'s code; 401 carries a WWW-Authenticate challenge, 503 a Retry-After.
Response ErrorResponse(const Error& error);

}  // namespace anchor::http
