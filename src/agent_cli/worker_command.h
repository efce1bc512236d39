// SPDX-License-Identifier: Apache-2.0
// File: worker_command.h: `anchor-agent-worker`, one attempt of the device agent.
#pragma once

namespace anchor::agent_cli {

// RunAgentWorker parses the same arguments as `anchor-agent` and makes one attempt
// (agent::RunAttempt), reporting when to come back on $ANCHOR_AGENT_REPORT_FD; it returns
// kExitOk, kExitTempFail, kExitFailure or kExitUsage (core/exit_codes.h). `status` prints the
// certificate and the state.
int RunAgentWorker(int argc, char** argv);

}  // namespace anchor::agent_cli
