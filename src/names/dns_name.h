// SPDX-License-Identifier: Apache-2.0
// File: dns_name.h: dNSName syntax (RFC 1035 2.3.1 preferred name syntax, RFC 5280 4.2.1.6)
// and internationalized names as A-labels (RFC 5890, IDNA2008 with UTS #46 mapping, libidn2).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor::names {

//= https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4
//# labels          63 octets or less
//# names           255 octets or less
// 255 octets on the wire are at most 253 characters of text without the trailing dot.
inline constexpr size_t kMaxLabelLength = 63;
inline constexpr size_t kMaxDnsNameLength = 253;

// Wildcard says whether a name may start with the wildcard label "*.". Whether a profile
// issues wildcards is policy; where they may stand is syntax, checked here.
enum class Wildcard { kRefuse, kAllow };

// NormalizeDnsName returns `input` as a certificate must carry it: ASCII letters lowered, each
// Unicode label converted to its A-label ("münchen.example" -> "xn--mnchen-3ya.example"), every
// label LDH, 1..63 characters, the whole at most 253, a wildcard only as the whole left-most
// label. An "xn--" label must be a valid A-label. Errors are kInvalidArgument, one line naming
// the name, the fault and, where there is one, the form to write instead.
Result<std::string> NormalizeDnsName(std::string_view input, Wildcard wildcard);

// IsNormalDnsName is true when NormalizeDnsName accepts `name` and returns it unchanged: the
// check for a name read from a certificate or a request that must already be in final form.
bool IsNormalDnsName(std::string_view name, Wildcard wildcard);

}  // namespace anchor::names
