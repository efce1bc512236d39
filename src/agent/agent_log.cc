// SPDX-License-Identifier: Apache-2.0
// File: agent_log.cc: the agent's log line.
#include "agent/agent_log.h"

#include <cstdio>

namespace anchor::agent {

void LogLine(const Clock& clock, const std::string& message) {
  std::fprintf(stderr, "%s anchor-agent: %s\n", Iso8601(clock.Now()).c_str(), message.c_str());
  std::fflush(stderr);
}

}  // namespace anchor::agent
