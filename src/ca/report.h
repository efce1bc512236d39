// SPDX-License-Identifier: Apache-2.0
// File: report.h: verdicts as data: a list of findings with ids and severities.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace anchor::ca {

enum class Severity { kError, kWarning, kInfo };
std::string_view SeverityName(Severity s);

// Finding is one result of a check; tests assert on `id`, never on `detail` text.
struct Finding {
  Severity severity;
  std::string id;
  std::string detail;
};

// Report collects every finding of a check, not only the first (STYLE.md 4.4).
class Report final {
 public:
  void AddError(std::string_view id, std::string detail = {});
  void AddWarning(std::string_view id, std::string detail = {});
  void AddInfo(std::string_view id, std::string detail = {});
  // Ok is true when there is no error (warnings allowed).
  bool Ok() const;
  bool Contains(std::string_view id) const;
  const std::vector<Finding>& findings() const { return findings_; }

 private:
  std::vector<Finding> findings_;
};

}  // namespace anchor::ca
