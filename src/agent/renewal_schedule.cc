// SPDX-License-Identifier: Apache-2.0
// File: renewal_schedule.cc: renewal time and retry back-off.
#include "agent/renewal_schedule.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace anchor::agent {

Clock::time_point RenewalTime(Clock::time_point not_before, Clock::time_point not_after,
                              double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(not_after - not_before);
  return not_before + std::chrono::seconds(static_cast<int64_t>(lifetime.count() * fraction));
}

namespace {

// UniformUpTo draws from [0, bound] (0 when the randomness fails: no jitter, still correct).
uint64_t UniformUpTo(uint64_t bound, Rng& rng) {
  std::array<uint8_t, 8> bytes{};
  uint64_t draw = 0;
  if (rng.Fill(bytes)) {
    std::memcpy(&draw, bytes.data(), sizeof draw);
  }
  return draw % (bound + 1);
}

}  // namespace

std::chrono::seconds RenewalJitter(Clock::time_point not_before, Clock::time_point not_after,
                                   Rng& rng) {
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(not_after - not_before);
  const uint64_t bound = static_cast<uint64_t>(std::max<int64_t>(lifetime.count() / 20, 0));
  return std::chrono::seconds(static_cast<int64_t>(UniformUpTo(bound, rng)));
}

std::chrono::seconds RetryDelay(int failures, Rng& rng) {
  constexpr int64_t kFirst = 5;
  constexpr int64_t kCap = 3600;
  int64_t delay = kFirst;
  for (int i = 1; i < failures && delay < kCap; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, kCap);
  // [delay/2, delay] in whole seconds: 2-5 s for an odd 5 (half + half would stop at 4).
  const int64_t half = delay / 2;
  return std::chrono::seconds(
      half + static_cast<int64_t>(UniformUpTo(static_cast<uint64_t>(delay - half), rng)));
}

}  // namespace anchor::agent
