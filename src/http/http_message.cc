// SPDX-License-Identifier: Apache-2.0
// File: http_message.cc: header lookup and the code-to-status mapping.
#include "http/http_message.h"

#include "core/text.h"

namespace anchor::http {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ToLower(a) < ToLower(b);
}

std::string Request::Header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

int StatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kAborted: return 409;
    case Code::kUnimplemented: return 501;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

Response ErrorResponse(const Error& error) {
  Response r;
  r.status = StatusFor(error.code());
  r.body = error.code() == Code::kInternal ? "internal error\n" : error.message() + "\n";
  if (r.status == 401) {
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"anchor EST\"");
  }
  if (r.status == 503) {
    r.headers.emplace_back("Retry-After", "5");
  }
  return r;
}

}  // namespace anchor::http
