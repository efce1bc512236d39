// SPDX-License-Identifier: Apache-2.0
// File: schema_text.cc: lists of names as one text column; the CRL's audit detail.
#include "store/schema_text.h"

#include <sstream>

#include "core/text.h"

namespace anchor::store {

std::string JoinLines(const std::vector<std::string>& items) { return Join(items, "\n"); }

std::string CrlAuditDetail(const CrlDraft& draft, std::string_view issuer_fingerprint) {
  return "number=" + std::to_string(draft.number) +
         " issuer=" + std::string(issuer_fingerprint.substr(0, 16)) +
         " revoked=" + std::to_string(draft.revoked.size()) +
         " cursor=" + std::to_string(draft.revocation_cursor);
}

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
