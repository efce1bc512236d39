// SPDX-License-Identifier: Apache-2.0
// File: common_name.h: the subject's commonName, the one subject attribute anchor issues.
#pragma once

#include <string_view>

#include "core/error.h"

namespace anchor::names {

//= https://www.rfc-editor.org/rfc/rfc5280#appendix-A.1
//# ub-common-name INTEGER ::= 64
inline constexpr size_t kMaxCommonNameLength = 64;

// CheckCommonName accepts 1..64 characters (Unicode code points, as ub-common-name counts
// them) of well-formed UTF-8 with no control character (C0, DEL, C1) and no invisible
// bidirectional formatting character (U+202A..U+202E, U+2066..U+2069), which would make the
// name read differently from what it is. Errors are kInvalidArgument naming the fault.
Status CheckCommonName(std::string_view cn);

}  // namespace anchor::names
