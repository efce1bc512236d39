// SPDX-License-Identifier: Apache-2.0
// File: name_rules.cc: DNS, IP range, device id and CN checks.
#include "ca/name_rules.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

#include "core/text.h"

namespace anchor::ca {
namespace {

bool IsLdhLabel(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (const char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

std::optional<std::vector<uint8_t>> ParseIp(std::string_view text) {
  const std::string s(text);
  std::vector<uint8_t> out(16);
  if (::inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    out.resize(4);
    return out;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    return out;
  }
  return std::nullopt;
}

}  // namespace

bool IsValidDnsName(std::string_view name, bool allow_wildcard) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  if (allow_wildcard && name.starts_with("*.")) {
    name.remove_prefix(2);
  }
  size_t labels = 0;
  while (!name.empty()) {
    const size_t dot = name.find('.');
    if (!IsLdhLabel(name.substr(0, dot))) {
      return false;
    }
    ++labels;
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    if (dot != std::string_view::npos && name.empty()) {
      return false;  // trailing dot
    }
  }
  return labels > 0;
}

bool DnsNameHasSuffix(std::string_view name, std::string_view suffix) {
  const std::string n = ToLower(name);
  const std::string s = ToLower(suffix);
  return n == s || (n.size() > s.size() && n.ends_with(s) && n[n.size() - s.size() - 1] == '.');
}

std::optional<Cidr> ParseCidr(std::string_view text) {
  const size_t slash = text.find('/');
  auto network = ParseIp(text.substr(0, slash));
  if (!network) {
    return std::nullopt;
  }
  const int max = static_cast<int>(network->size() * 8);
  int prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || prefix < 0 || prefix > max) {
      return std::nullopt;
    }
  }
  return Cidr{std::move(*network), prefix};
}

bool IpInRange(std::string_view ip, const Cidr& range) {
  const auto addr = ParseIp(ip);
  if (!addr || addr->size() != range.network.size()) {
    return false;
  }
  int bits = range.prefix_len;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if (((*addr)[i] & mask) != (range.network[i] & mask)) {
      return false;
    }
  }
  return true;
}

bool IsValidDeviceId(std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::isalnum(static_cast<unsigned char>(id.front()))) {
    return false;
  }
  for (const char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsValidCommonName(std::string_view cn) {
  if (cn.empty() || cn.size() > 64) {
    return false;
  }
  for (const char c : cn) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace anchor::ca
