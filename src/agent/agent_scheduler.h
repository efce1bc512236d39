// SPDX-License-Identifier: Apache-2.0
// File: agent_scheduler.h: the resident loop of the device agent: run one worker attempt, wait
// until the time it reports, run the next.
#pragma once

#include <csignal>
#include <string>
#include <vector>

#include "core/clock.h"

namespace anchor::agent {

// kReportFdVariable names the descriptor on which a worker run by the scheduler reports
// "next_attempt_unix=N", the time of its next attempt.
inline constexpr const char* kReportFdVariable = "ANCHOR_AGENT_REPORT_FD";

// RunSchedule runs `worker_argv` (one attempt each, `anchor-agent-worker run ... --once`) again
// and again, waiting between attempts until the time the worker reported on its report
// descriptor, read from `clock`. It returns kExitOk once `stop` is set (an attempt in progress
// is let finish), or the exit code of an attempt that needs a person (kExitFailure, kExitUsage:
// core/exit_codes.h), which ends the loop. `stop` is set by the caller's signal handler.
//
// `reload`, when given, is set by the caller's SIGHUP handler: the agent's settings are its
// flags, which only a restart changes, but the files they name (the certificate, its key, the
// CA file, the token file) are read afresh by every attempt. A reload therefore ends the wait
// and runs an attempt at once (one log line says so), which re-reads them all and reschedules
// from what it finds: it renews a certificate that is due, enrolls with a new token file, and
// retries at once after a failure the operator has fixed. A reload during an attempt runs
// another one right after it.
int RunSchedule(const std::vector<std::string>& worker_argv, const Clock& clock,
                const volatile std::sig_atomic_t& stop,
                volatile std::sig_atomic_t* reload = nullptr);

}  // namespace anchor::agent
