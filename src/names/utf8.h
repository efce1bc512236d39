// SPDX-License-Identifier: Apache-2.0
// File: utf8.h: strict UTF-8 decoding (RFC 3629), for names that may hold Unicode.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace anchor::names {

// DecodeUtf8 returns the code points of `text`, or nullopt when it is not well-formed UTF-8
// (RFC 3629 section 4: no overlong forms, no surrogates, nothing above U+10FFFF).
std::optional<std::u32string> DecodeUtf8(std::string_view text);

// IsAscii is true when every byte of `text` is below 0x80.
bool IsAscii(std::string_view text);

}  // namespace anchor::names
