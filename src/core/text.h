// SPDX-License-Identifier: Apache-2.0
// File: text.h: small string helpers shared by every layer (hex, splitting, trimming).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anchor {

// HexEncode returns lower-case hex of `bytes`, with `separator` between octets when non-zero.
std::string HexEncode(std::span<const uint8_t> bytes, char separator = '\0');
// HexDecode parses hex digits (either case, optional ':' separators); false on bad input.
bool HexDecode(std::string_view hex, std::vector<uint8_t>& out);
// StartsWith / EndsWith compare ASCII case-insensitively.
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix);
// ToLower lowers ASCII letters only; ToUpper raises them.
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);
// Printable returns `s` with every control byte (below 0x20, and 0x7f) written as "\xNN", so
// text from a request can be quoted in a one-line message or log.
std::string Printable(std::string_view s);
// Join concatenates `parts` with `sep`.
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// SplitList splits `s` at each `sep` and trims blanks (spaces, tabs) around each item:
// "a, b" is {"a", "b"}; an empty item stays ("a,,b" is {"a", "", "b"}), for the caller to refuse.
std::vector<std::string> SplitList(std::string_view s, char sep);

}  // namespace anchor
