// SPDX-License-Identifier: Apache-2.0
// File: agent_command.h: the `anchor-agent` command line (run, status).
#pragma once

namespace anchor::agent {

// RunAgentCommand parses `anchor-agent` arguments and runs; it returns the exit code.
int RunAgentCommand(int argc, char** argv);

}  // namespace anchor::agent
