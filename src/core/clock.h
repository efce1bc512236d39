// SPDX-License-Identifier: Apache-2.0
// File: clock.h: time as a parameter, so domain code never reads the wall clock itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace anchor {

// Clock gives the current time. Domain code takes a `Clock&`; tests pass a `FixedClock`.
class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point Now() const = 0;
};

// SystemClock reads the real wall clock. Entry points construct one (cli/, agent_cli/, server/,
// the broker plugin); the layers below them take a `Clock&`.
class SystemClock final : public Clock {
 public:
  time_point Now() const override { return std::chrono::system_clock::now(); }
};

// FixedClock always answers the time it was given (or advanced to).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(time_point now) : now_(now) {}
  time_point Now() const override { return now_; }
  void Advance(std::chrono::seconds by) { now_ += by; }

 private:
  time_point now_;
};

// UnixSeconds returns `t` as whole seconds since 1970-01-01T00:00:00Z.
int64_t UnixSeconds(Clock::time_point t);
// FromUnixSeconds is the inverse of `UnixSeconds`.
Clock::time_point FromUnixSeconds(int64_t seconds);
// Iso8601 formats `t` as "2026-11-23T09:35:43Z".
std::string Iso8601(Clock::time_point t);

}  // namespace anchor
