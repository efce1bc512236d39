// SPDX-License-Identifier: Apache-2.0
// File: agent_log.h: the agent's log line, shared by the scheduler and the worker so that both
// log the same way.
#pragma once

#include <string>

#include "core/clock.h"

namespace anchor::agent {

// LogLine writes "TIME anchor-agent: MESSAGE" to stderr, TIME read from `clock`.
void LogLine(const Clock& clock, const std::string& message);

// LogRepeating is LogLine for a line the resident loop may write again and again (the worker
// cannot be started, each attempt): identical lines beyond 3 an hour are counted, not written,
// and the count is said in one line ("N similar lines suppressed") when the hour ends
// (core/repeat_filter.h, the limiter `anchor serve`'s log uses too).
void LogRepeating(const Clock& clock, const std::string& message);

}  // namespace anchor::agent
