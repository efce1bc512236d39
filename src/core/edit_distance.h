// SPDX-License-Identifier: Apache-2.0
// File: edit_distance.h: the closest of a set of names to a mistyped one, for "did you mean X?".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anchor {

// EditDistance is the optimal-string-alignment distance between `a` and `b`: insertions,
// deletions, substitutions and swaps of two neighbouring characters each count one ("sever" ->
// "server" is 1, "isseu" -> "issue" is 1).
size_t EditDistance(std::string_view a, std::string_view b);

// ClosestName is the name in `names` nearest to `typed`, when it is near enough to be what was
// meant: at most 1 edit for words of up to 4 characters, 2 up to 8, 3 beyond, and fewer edits
// than `typed` has characters. Ties go to the first in `names`; `typed` itself is never returned.
std::optional<std::string> ClosestName(std::string_view typed,
                                       const std::vector<std::string>& names);

}  // namespace anchor
