// SPDX-License-Identifier: Apache-2.0
// File: agent_command.h: `anchor-agent`, the program that stays resident on a device.
#pragma once

namespace anchor::agent_cli {

// RunAgentCommand parses `anchor-agent` arguments and runs: `run` waits between renewals and
// runs anchor-agent-worker for each attempt (agent::RunSchedule); `run --once` and `status` are
// handed to the worker. It returns the exit code (core/exit_codes.h).
int RunAgentCommand(int argc, char** argv);

}  // namespace anchor::agent_cli
