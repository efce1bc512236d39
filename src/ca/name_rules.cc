// SPDX-License-Identifier: Apache-2.0
// File: name_rules.cc: DNS suffix, IP range and device id checks.
#include "ca/name_rules.h"

#include <cctype>
#include <charconv>

#include "names/ip_address.h"
#include "names/name_constraints.h"

namespace anchor::ca {

bool DnsNameHasSuffix(std::string_view name, std::string_view suffix) {
  return names::DnsNameWithin(name, suffix);
}

std::optional<Cidr> ParseCidr(std::string_view text) {
  const size_t slash = text.find('/');
  auto network = names::ParseIpAddress(text.substr(0, slash));
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
  const auto addr = names::ParseIpAddress(ip);
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

}  // namespace anchor::ca
