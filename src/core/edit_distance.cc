// SPDX-License-Identifier: Apache-2.0
// File: edit_distance.cc: optimal string alignment distance, and the nearest name.
#include "core/edit_distance.h"

#include <algorithm>

namespace anchor {

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j] is the distance between a[0, i) and b[0, j); three rows suffice for the swap.
  const size_t width = b.size() + 1;
  std::vector<size_t> before(width), prev(width), cur(width);
  for (size_t j = 0; j < width; ++j) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j < width; ++j) {
      const size_t substitution = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    before.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::optional<std::string> ClosestName(std::string_view typed,
                                       const std::vector<std::string>& names) {
  const size_t allowed = typed.size() <= 4 ? 1 : typed.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const std::string& name : names) {
    const size_t d = EditDistance(typed, name);
    if (d != 0 && d < best_distance && d < typed.size()) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace anchor
