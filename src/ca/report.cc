// SPDX-License-Identifier: Apache-2.0
// File: report.cc: `Report`.
#include "ca/report.h"

#include <algorithm>

namespace anchor::ca {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "unknown";
}

void Report::AddError(std::string_view id, std::string detail) {
  findings_.push_back({Severity::kError, std::string(id), std::move(detail)});
}
void Report::AddWarning(std::string_view id, std::string detail) {
  findings_.push_back({Severity::kWarning, std::string(id), std::move(detail)});
}
void Report::AddInfo(std::string_view id, std::string detail) {
  findings_.push_back({Severity::kInfo, std::string(id), std::move(detail)});
}

bool Report::Ok() const {
  return std::none_of(findings_.begin(), findings_.end(),
                      [](const Finding& f) { return f.severity == Severity::kError; });
}

bool Report::Contains(std::string_view id) const {
  return std::any_of(findings_.begin(), findings_.end(),
                     [&](const Finding& f) { return f.id == id; });
}

}  // namespace anchor::ca
