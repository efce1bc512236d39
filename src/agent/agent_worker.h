// SPDX-License-Identifier: Apache-2.0
// File: agent_worker.h: one attempt of the device agent (what anchor-agent-worker runs).
#pragma once

#include <optional>

#include "agent/agent_settings.h"
#include "agent/agent_state.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/rng.h"

namespace anchor::agent {

// AttemptEnd is how one attempt ended.
enum class AttemptEnd {
  kDone,          // enrolled, renewed, or the certificate is not due yet
  kFailed,        // AttemptResult::error says why
  kNoCommonName,  // a first enrollment without --cn: nothing was tried
};

// AttemptResult is an attempt's end and, when it failed, its error. The program turns it into its
// exit code (core/exit_codes.h); the state (`AgentState::next_attempt_unix`) says when to come
// back.
struct AttemptResult {
  AttemptEnd end = AttemptEnd::kDone;
  std::optional<Error> error;  // set when `end` is kFailed
};

// RunAttempt makes one attempt: it enrolls when there is no certificate, renews when it is due
// (at `settings.renew_at` of its lifetime, earlier by a jitter drawn from `rng`), and records in
// `state` and the state file what happened and when to come back (after a temporary failure,
// the end of the back-off; core/exit_codes.h IsTemporary). Time is read from `clock` only.
AttemptResult RunAttempt(const AgentSettings& settings, AgentState& state, const Clock& clock,
                         Rng& rng);

}  // namespace anchor::agent
