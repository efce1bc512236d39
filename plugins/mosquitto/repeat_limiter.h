// SPDX-License-Identifier: Apache-2.0
// File: repeat_limiter.h: holding back log lines that repeat an event already logged (a device
// that keeps retrying with a revoked certificate, a client that keeps publishing where it may
// not), so that one misbehaving client cannot flood the broker's log.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace anchor::mqtt {

// RepeatLimiter lets the first line of each kind (its `key`: who, and what happened) through,
// holds back the same kind for `window` after it, and lets the next one through with how many
// were held back. It remembers at most kMaxKeys kinds; when full it forgets those whose window
// has passed, and if that is not enough, all of them (a forgotten kind is logged again at once).
// Not thread-safe: the broker's thread alone uses it.
class RepeatLimiter final {
 public:
  static constexpr std::chrono::seconds kDefaultWindow{60};
  static constexpr size_t kMaxKeys = 4096;

  explicit RepeatLimiter(std::chrono::seconds window = kDefaultWindow) : window_(window) {}

  // Pass decides the line of kind `key` at `now`: nullopt holds it back; otherwise the text to
  // append to it, "" or " (N more like it in the last 60 s not logged)".
  std::optional<std::string> Pass(const std::string& key, Clock::time_point now);

 private:
  struct Seen {
    Clock::time_point logged;
    uint64_t held = 0;
  };
  void MakeRoom(Clock::time_point now);

  std::chrono::seconds window_;
  std::unordered_map<std::string, Seen> seen_;
};

}  // namespace anchor::mqtt
