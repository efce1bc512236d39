// SPDX-License-Identifier: Apache-2.0
// File: worker_main.cc: the `anchor-agent-worker` binary: one attempt, run by anchor-agent.
#include "agent_cli/worker_command.h"

int main(int argc, char** argv) { return anchor::agent_cli::RunAgentWorker(argc, argv); }
