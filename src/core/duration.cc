// SPDX-License-Identifier: Apache-2.0
// File: duration.cc: "1h30m" <-> seconds.
#include "core/duration.h"

#include <array>
#include <charconv>
#include <cstdint>

namespace anchor {
namespace {

struct Unit {
  char letter;
  int64_t seconds;
};

// kUnits, largest first: the order the parts of a duration must be written in.
constexpr std::array<Unit, 5> kUnits{
    {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

Error NotADuration(std::string_view text, std::string_view why) {
  return Error(Code::kInvalidArgument, "'" + std::string(text) + "' is not a duration (" +
                                           std::string(why) +
                                           "); write e.g. 90s, 30m, 1h30m, 24h, 7d or 2w");
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text.empty()) {
    return NotADuration(text, "it is empty");
  }
  int64_t total = 0;
  size_t next_unit = 0;  // index in kUnits of the largest unit still allowed
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  while (p != end) {
    if (*p < '0' || *p > '9') {
      return NotADuration(text, "each part is a number and a unit");
    }
    int64_t n = 0;
    const auto [after, ec] = std::from_chars(p, end, n);
    if (ec != std::errc() || n > kMaxDuration.count()) {
      return NotADuration(text, "too long; at most 100 years");
    }
    if (after == end) {
      return NotADuration(text, "a number needs a unit: s, m, h, d or w");
    }
    size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].letter != *after) {
      ++u;
    }
    if (u == kUnits.size()) {
      return NotADuration(text, "units are w, d, h, m and s, largest first, each once");
    }
    if (n > kMaxDuration.count() / kUnits[u].seconds) {
      return NotADuration(text, "too long; at most 100 years");
    }
    total += n * kUnits[u].seconds;
    if (total > kMaxDuration.count()) {
      return NotADuration(text, "too long; at most 100 years");
    }
    next_unit = u + 1;
    p = after + 1;
  }
  if (total == 0) {
    return NotADuration(text, "it must be longer than zero");
  }
  return std::chrono::seconds(total);
}

std::string FormatDuration(std::chrono::seconds d) {
  int64_t left = d.count();
  if (left <= 0) {
    return "0s";
  }
  std::string out;
  // Weeks are left out: "14d" reads more plainly than "2w" in a message.
  for (const Unit& unit : kUnits) {
    if (unit.letter == 'w' || left < unit.seconds) {
      continue;
    }
    out += std::to_string(left / unit.seconds);
    out += unit.letter;
    left %= unit.seconds;
  }
  return out;
}

}  // namespace anchor
