// SPDX-License-Identifier: Apache-2.0
// File: schema_text.cc: lists of names as one text column.
#include "store/schema_text.h"

#include <sstream>

#include "core/text.h"

namespace anchor::store {

std::string JoinLines(const std::vector<std::string>& items) { return Join(items, "\n"); }

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

}  // namespace anchor::store
