// SPDX-License-Identifier: Apache-2.0
// File: agent_log.cc: the agent's log line.
#include "agent/agent_log.h"

#include <cstdio>

#include "core/repeat_filter.h"

namespace anchor::agent {

void LogLine(const Clock& clock, const std::string& message) {
  std::fprintf(stderr, "%s anchor-agent: %s\n", Iso8601(clock.Now()).c_str(), message.c_str());
  std::fflush(stderr);
}

void LogRepeating(const Clock& clock, const std::string& message) {
  static RepeatFilter repeats({.burst = 3, .window = std::chrono::hours(1), .max_keys = 64});
  const RepeatFilter::Verdict verdict = repeats.Admit(message, std::chrono::steady_clock::now());
  for (const RepeatFilter::Summary& s : verdict.summaries) {
    LogLine(clock, std::to_string(s.suppressed) + " similar lines suppressed: " + s.key);
  }
  if (verdict.write) {
    LogLine(clock, message);
  }
}

}  // namespace anchor::agent
