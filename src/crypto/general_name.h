// SPDX-License-Identifier: Apache-2.0
// File: general_name.h: subject alternative names as values ("dns:x", "ip:x", "uri:x", "email:x").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::crypto {

// GeneralName is one RFC 5280 GeneralName of the kinds anchor issues.
struct GeneralName {
  enum class Kind { kDns, kIp, kUri, kEmail };
  Kind kind;
  std::string value;  // IPs in canonical text form ("127.0.0.1", "::1")

  bool operator==(const GeneralName&) const = default;
  // ToString is "dns:example.com" etc., the form `ParseGeneralName` reads.
  std::string ToString() const;
};

// ParseGeneralName reads "dns:X", "ip:X", "uri:X" or "email:X" and normalises it
// (`NormalizeGeneralName`). A bare value is an IP when it parses as one, else a DNS name.
Result<GeneralName> ParseGeneralName(std::string_view text);

// NormalizeGeneralName returns `name` in the form a certificate carries, checked by its kind in
// names/ (the one module every entry point uses): a DNS name in lower case with A-labels (a
// wildcard only as the whole left-most label; whether a profile allows one is policy), an IP in
// RFC 5952 text, a mailbox with its domain normalised, a URI as written once it is a valid
// absolute URI. Errors are kInvalidArgument naming the name and the fault.
Result<GeneralName> NormalizeGeneralName(const GeneralName& name);

// IsIpAddress tells whether `text` is an IPv4 or IPv6 literal.
bool IsIpAddress(std::string_view text);

}  // namespace anchor::crypto
