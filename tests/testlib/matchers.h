// SPDX-License-Identifier: Apache-2.0
// File: matchers.h: GoogleTest matchers for `Result` and `Status` (assert the specific error).
#pragma once

#include <gmock/gmock.h>

#include <cctype>
#include <string>

#include "core/error.h"

namespace anchor::testing {

MATCHER_P(ErrorIs, code, "fails with " + std::string(::anchor::CodeName(code))) {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "failed with " << ::anchor::CodeName(arg.error().code()) << ": "
                   << arg.error().message();
  return arg.error().code() == code;
}

MATCHER(IsOk, "succeeds") {
  if (!arg.has_value()) {
    *result_listener << "failed with " << ::anchor::CodeName(arg.error().code()) << ": "
                     << arg.error().message();
  }
  return arg.has_value();
}

// SanitizeTestName turns a table case's name ("ok/within-max") into a GoogleTest parameter
// name ("ok_within_max").
inline std::string SanitizeTestName(std::string name) {
  for (char& ch : name) {
    ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  }
  return name;
}

}  // namespace anchor::testing
