// SPDX-License-Identifier: Apache-2.0
// File: agent_scheduler.h: `anchor-agent`, the resident scheduler of the device agent.
#pragma once

namespace anchor::agent {

// RunAgentCommand parses `anchor-agent` arguments and runs: `run` waits between renewals and
// runs anchor-agent-worker for each attempt; `run --once` and `status` are handed to the worker.
// It returns the exit code (agent_cli.h).
int RunAgentCommand(int argc, char** argv);

}  // namespace anchor::agent
