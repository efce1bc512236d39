// SPDX-License-Identifier: Apache-2.0
// File: agent_log.h: the agent's log line, shared by the scheduler and the worker so that both
// log the same way.
#pragma once

#include <string>

#include "core/clock.h"

namespace anchor::agent {

// LogLine writes "TIME anchor-agent: MESSAGE" to stderr, TIME read from `clock`.
void LogLine(const Clock& clock, const std::string& message);

}  // namespace anchor::agent
