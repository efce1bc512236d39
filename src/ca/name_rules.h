// SPDX-License-Identifier: Apache-2.0
// File: name_rules.h: syntax and policy checks for the names a certificate may carry.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anchor::ca {

// IsValidDnsName checks RFC 1035 "preferred name syntax" (LDH labels of 1..63, total <= 253);
// with `allow_wildcard` a single leading "*." label is accepted.
bool IsValidDnsName(std::string_view name, bool allow_wildcard);
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
// IsValidCommonName accepts 1..64 printable characters without control characters.
bool IsValidCommonName(std::string_view cn);

}  // namespace anchor::ca
