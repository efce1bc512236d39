// SPDX-License-Identifier: Apache-2.0
// File: text.cc: hex and ASCII helpers.
#include "core/text.h"

#include <cctype>

namespace anchor {

std::string HexEncode(std::span<const uint8_t> bytes, char separator) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0 && separator != '\0') {
      out.push_back(separator);
    }
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}
}  // namespace

bool HexDecode(std::string_view hex, std::vector<uint8_t>& out) {
  out.clear();
  int high = -1;
  for (const char c : hex) {
    if (c == ':') {
      continue;
    }
    const int v = HexValue(c);
    if (v < 0) {
      return false;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return high < 0 && !out.empty();
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ToLower(s.substr(0, prefix.size())) == ToLower(prefix);
}

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         ToLower(s.substr(s.size() - suffix.size())) == ToLower(suffix);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out.append(sep);
    }
    out.append(parts[i]);
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view s, char sep) {
  const auto trim = [](std::string_view item) {
    const size_t begin = item.find_first_not_of(" \t");
    return begin == std::string_view::npos
               ? std::string()
               : std::string(item.substr(begin, item.find_last_not_of(" \t") - begin + 1));
  };
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t next = s.find(sep); next != std::string_view::npos; next = s.find(sep, at)) {
    out.push_back(trim(s.substr(at, next - at)));
    at = next + 1;
  }
  out.push_back(trim(s.substr(at)));
  return out;
}

std::string Printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace anchor
