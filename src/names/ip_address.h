// SPDX-License-Identifier: Apache-2.0
// File: ip_address.h: iPAddress names: IPv4 dotted quads and IPv6 text forms (RFC 4291 2.2),
// written back in the one canonical form (RFC 5952).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::names {

// ParseIpAddress reads "192.0.2.1" or any RFC 4291 text form of an IPv6 address into its 4 or
// 16 octets (RFC 5280 4.2.1.6: the iPAddress of a subjectAltName). Brackets, a zone id
// ("%eth0"), a prefix ("/24") and the legacy IPv4 forms ("127.1", "0x7f.1") are
// kInvalidArgument saying what to write instead.
Result<std::vector<uint8_t>> ParseIpAddress(std::string_view text);

// FormatIpAddress writes 4 or 16 octets as text: dotted quad, or RFC 5952 for IPv6 (lower
// case, the longest run of zero groups as "::"). Any other length gives "".
std::string FormatIpAddress(std::span<const uint8_t> octets);

// NormalizeIpAddress is FormatIpAddress(ParseIpAddress(text)).
Result<std::string> NormalizeIpAddress(std::string_view text);

}  // namespace anchor::names
