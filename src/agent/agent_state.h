// SPDX-License-Identifier: Apache-2.0
// File: agent_state.h: what `anchor-agent status` shows, kept beside the certificate.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace anchor::agent {

// AgentState is the agent's last word on its certificate, written atomically to
// "<cert>.state.json" after every attempt. It is also how the worker tells the resident
// scheduler when to run it next.
struct AgentState {
  std::string common_name;
  std::string serial;
  std::string not_after;     // ISO 8601
  std::string next_renewal;  // ISO 8601
  std::string last_renewal;  // ISO 8601, empty before the first
  std::string last_error;    // one line, empty after a success
  std::string last_error_at;
  int failures = 0;  // consecutive failed attempts
  // renewal_jitter_seconds moves the renewal of the certificate `serial` earlier; drawn once per
  // certificate so that every run of the worker agrees on when it is due (-1: not drawn yet).
  int64_t renewal_jitter_seconds = -1;
  // next_attempt_unix is when the worker should run again: the renewal time, or the end of the
  // back-off after a failure (0: unknown).
  int64_t next_attempt_unix = 0;
  // server is the replica of --server that answered last, asked first by the next attempt, so
  // that a fleet does not go back to a dead replica at every renewal ("": the first given).
  std::string server;
};

std::string StatePath(const std::string& cert_path);
Status SaveState(const std::string& cert_path, const AgentState& state);
// LoadState returns the saved state, or an empty one when there is none yet.
Result<AgentState> LoadState(const std::string& cert_path);

}  // namespace anchor::agent
