// SPDX-License-Identifier: Apache-2.0
// File: error.cc: `Error` and the names of its codes.
#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace anchor {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kUnauthenticated:
      return "unauthenticated";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kAborted:
      return "aborted";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kUnimplemented:
      return "unimplemented";
    case Code::kInternal:
      return "internal";
    case Code::kContentTooLarge:
      return "content_too_large";
    case Code::kUnsupportedMediaType:
      return "unsupported_media_type";
    case Code::kUriTooLong:
      return "uri_too_long";
    case Code::kHeaderTooLarge:
      return "header_too_large";
  }
  return "unknown";
}

Error::Error(Code code, std::string message, std::string detail, SourceLocation where)
    : code_(code), message_(std::move(message)), detail_(std::move(detail)), where_(where) {}

Error Error::Prefixed(std::string_view context) const {
  Error copy = *this;
  copy.message_ = std::string(context) + ": " + message_;
  return copy;
}

namespace internal {
void CheckFailed(const char* condition, SourceLocation where) {
  std::fprintf(stderr, "anchor: invariant broken: %s at %s:%u\n", condition, where.file_name(),
               static_cast<unsigned>(where.line()));
  std::abort();
}
}  // namespace internal

}  // namespace anchor
