// SPDX-License-Identifier: Apache-2.0
// File: name_rules.h: policy checks on names (suffixes, IP ranges, device ids); the syntax of
// each kind of name is names/'s.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anchor::ca {

// DnsNameHasSuffix is true when `name` equals `suffix` or ends with "." + `suffix`.
bool DnsNameHasSuffix(std::string_view name, std::string_view suffix);

// Cidr is an address range; v4 addresses are stored as v4 (4 bytes).
struct Cidr {
  std::vector<uint8_t> network;
  int prefix_len = 0;
};
// ParseCidr reads "10.0.0.0/8" or "fd00::/8"; a bare address is a /32 or /128.
std::optional<Cidr> ParseCidr(std::string_view text);
// IpInRange tells whether the textual IP `ip` lies in `range`.
bool IpInRange(std::string_view ip, const Cidr& range);

// IsValidDeviceId accepts 1..64 characters of [A-Za-z0-9._-], starting with a letter or digit.
bool IsValidDeviceId(std::string_view id);

}  // namespace anchor::ca
