// SPDX-License-Identifier: Apache-2.0
// File: state_change_log.h: log lines for an operation the plugin repeats on every poll or tick
// (following the feed, writing the cache file, writing the state file): one line when its state
// changes, a reminder now and then while it keeps failing, never one line per attempt.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"

namespace anchor::mqtt {

// StateChangeLog decides which outcomes of a repeated operation are worth a log line. It starts
// in no state, so the first outcome, good or bad, is always logged. After that:
//   - a failure after a success (or the first one) is logged at once;
//   - the same failure again is logged only as a reminder, `remind_every` after the last line,
//     with how many attempts failed since the failures began;
//   - a different failure (another line) is logged, but not sooner than `min_gap` after the
//     last line, so that two alternating causes cannot flood the log either;
//   - a success after failures is logged once, with how many attempts failed and since when.
// Not thread-safe: each repeating operation owns one, on the thread that repeats it.
class StateChangeLog final {
 public:
  static constexpr std::chrono::seconds kDefaultRemindEvery{600};
  static constexpr std::chrono::seconds kDefaultMinGap{10};

  explicit StateChangeLog(std::chrono::seconds remind_every = kDefaultRemindEvery,
                          std::chrono::seconds min_gap = kDefaultMinGap)
      : remind_every_(remind_every), min_gap_(min_gap) {}

  // Failed takes a failure at `now`, described by `line` (the whole log line, e.g. "cannot write
  // the revocation cache /var/lib/anchor/revocations.json: permission denied for user mosquitto
  // (uid 102)"), and returns the line to log, or nullopt to stay quiet. A reminder is `line`
  // followed by " (still failing: N attempts since T)".
  std::optional<std::string> Failed(Clock::time_point now, const std::string& line);

  // Succeeded takes a success at `now`, described by `line`, and returns the line to log: after
  // failures `line` followed by " (after N failed attempts since T)", on the first outcome
  // `line` itself, otherwise nullopt.
  std::optional<std::string> Succeeded(Clock::time_point now, const std::string& line);

  // failing is true while the last outcome was a failure.
  bool failing() const { return state_ == State::kFailing; }

 private:
  enum class State { kUnknown, kOk, kFailing };

  std::chrono::seconds remind_every_;
  std::chrono::seconds min_gap_;
  State state_ = State::kUnknown;
  std::string last_line_;  // the failure last logged
  Clock::time_point failing_since_{};
  Clock::time_point last_logged_{};
  uint64_t failures_ = 0;  // attempts failed since failing_since_
};

}  // namespace anchor::mqtt
