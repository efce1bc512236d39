// SPDX-License-Identifier: Apache-2.0
// File: common_name.cc: the commonName rule.
#include "names/common_name.h"

#include "core/text.h"
#include "names/utf8.h"

namespace anchor::names {
namespace {

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

bool IsBidiFormatting(char32_t c) {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

Status CheckCommonName(std::string_view cn) {
  const auto bad = [cn](const std::string& why) {
    return Error(Code::kInvalidArgument,
                 "the common name '" + Printable(cn.substr(0, 80)) + "' is not valid: " + why);
  };
  if (cn.empty()) {
    return Error(Code::kInvalidArgument, "the common name is empty");
  }
  const auto chars = DecodeUtf8(cn);
  if (!chars) {
    return bad("it is not valid UTF-8");
  }
  if (chars->size() > kMaxCommonNameLength) {
    return bad("it has " + std::to_string(chars->size()) + " characters; at most 64 are allowed");
  }
  for (const char32_t c : *chars) {
    if (IsControl(c)) {
      return bad(c == 0 ? "it holds a NUL character" : "it holds a control character");
    }
    if (IsBidiFormatting(c)) {
      return bad("it holds an invisible bidirectional formatting character");
    }
  }
  return OkStatus();
}

}  // namespace anchor::names
