// SPDX-License-Identifier: Apache-2.0
// File: clock.cc: conversions between time points, Unix seconds and ISO 8601.
#include "core/clock.h"

#include <ctime>

namespace anchor {

int64_t UnixSeconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Clock::time_point FromUnixSeconds(int64_t seconds) {
  return Clock::time_point(std::chrono::seconds(seconds));
}

std::string Iso8601(Clock::time_point t) {
  const std::time_t secs = static_cast<std::time_t>(UnixSeconds(t));
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace anchor
