// SPDX-License-Identifier: Apache-2.0
// File: worker_main.cc: the `anchor-agent-worker` binary: one attempt, run by anchor-agent.
#include "agent/agent_worker.h"

int main(int argc, char** argv) { return anchor::agent::RunAgentWorker(argc, argv); }
