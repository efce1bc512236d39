// SPDX-License-Identifier: Apache-2.0
// File: main.cc: the `anchor-agent` binary.
#include "agent/agent_command.h"

int main(int argc, char** argv) { return anchor::agent::RunAgentCommand(argc, argv); }
