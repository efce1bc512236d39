// SPDX-License-Identifier: Apache-2.0
// File: repeat_limiter.cc: which repeats of a logged event are held back.
#include "plugins/mosquitto/repeat_limiter.h"

#include <iterator>
#include <utility>

namespace anchor::mqtt {

std::optional<std::string> RepeatLimiter::Pass(const std::string& key, Clock::time_point now) {
  const auto it = seen_.find(key);
  if (it == seen_.end()) {
    if (seen_.size() >= kMaxKeys) {
      MakeRoom(now);
    }
    seen_.emplace(key, Seen{now, 0});
    return std::string();
  }
  Seen& seen = it->second;
  if (now - seen.logged < window_) {
    ++seen.held;
    return std::nullopt;
  }
  const uint64_t held = std::exchange(seen.held, 0);
  seen.logged = now;
  if (held == 0) {
    return std::string();
  }
  return " (" + std::to_string(held) + " more like it in the last " +
         std::to_string(window_.count()) + " s not logged)";
}

void RepeatLimiter::MakeRoom(Clock::time_point now) {
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = now - it->second.logged >= window_ ? seen_.erase(it) : std::next(it);
  }
  if (seen_.size() >= kMaxKeys) {
    seen_.clear();
  }
}

}  // namespace anchor::mqtt
