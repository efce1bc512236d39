// SPDX-License-Identifier: Apache-2.0
// File: name_constraints.h: RFC 5280 4.2.1.10 matching of one name against the base of one
// GeneralSubtree, by name form, read as OpenSSL, Go and GnuTLS read it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace anchor::names {

// DnsNameWithin tells whether `name` (normal form; a wildcard's "*" counts as a label) lies in
// the subtree `base`: equal to it or below it. A base with a leading "." holds only the names
// below it; an empty base holds every name. Letters compare case-insensitively.
bool DnsNameWithin(std::string_view name, std::string_view base);

// MailboxWithin tells whether `mailbox` lies in `base`: "user@host" is that mailbox (the local
// part compared exactly), "host" every mailbox at that host, ".host" every mailbox at a host
// below it.
bool MailboxWithin(std::string_view mailbox, std::string_view base);

// UriWithin tells whether the host of `uri` lies in `base`: "host" is that host exactly,
// ".host" every host below it. A URI without a host (a URN) lies in no subtree.
bool UriWithin(std::string_view uri, std::string_view base);

// IpWithin tells whether `address` (4 or 16 octets) lies in `base`, an address and its mask
// (8 or 32 octets), of the same family.
bool IpWithin(std::span<const uint8_t> address, std::span<const uint8_t> base);

}  // namespace anchor::names
