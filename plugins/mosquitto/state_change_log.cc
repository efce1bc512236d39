// SPDX-License-Identifier: Apache-2.0
// File: state_change_log.cc: which outcomes of a repeated operation are logged.
#include "plugins/mosquitto/state_change_log.h"

#include <utility>

namespace anchor::mqtt {
namespace {

std::string Attempts(uint64_t n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

}  // namespace

std::optional<std::string> StateChangeLog::Failed(Clock::time_point now, const std::string& line) {
  if (state_ != State::kFailing) {
    state_ = State::kFailing;
    failing_since_ = now;
    failures_ = 1;
    last_line_ = line;
    last_logged_ = now;
    return line;
  }
  ++failures_;
  const auto quiet_for = now - last_logged_;
  if (line != last_line_ && quiet_for >= min_gap_) {
    last_line_ = line;
    last_logged_ = now;
    return line;
  }
  if (line == last_line_ && quiet_for >= remind_every_) {
    last_logged_ = now;
    return line + " (still failing: " + Attempts(failures_) + " since " + Iso8601(failing_since_) +
           ")";
  }
  return std::nullopt;
}

std::optional<std::string> StateChangeLog::Succeeded(Clock::time_point now,
                                                     const std::string& line) {
  const State was = std::exchange(state_, State::kOk);
  if (was == State::kOk) {
    return std::nullopt;
  }
  last_logged_ = now;
  if (was == State::kUnknown) {
    return line;
  }
  return line + " (after " + Attempts(failures_) + " failed since " + Iso8601(failing_since_) + ")";
}

}  // namespace anchor::mqtt
