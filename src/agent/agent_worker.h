// SPDX-License-Identifier: Apache-2.0
// File: agent_worker.h: anchor-agent-worker, one attempt of the device agent.
#pragma once

namespace anchor::agent {

// RunAgentWorker parses the same arguments as `anchor-agent` and makes one attempt: it enrolls
// when there is no certificate, renews when it is due, records in the state file when to come
// back, and returns kExitOk, kExitRetry or kExitFailed (agent_cli.h). `status` prints the
// certificate and the state.
int RunAgentWorker(int argc, char** argv);

}  // namespace anchor::agent
