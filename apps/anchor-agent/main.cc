// SPDX-License-Identifier: Apache-2.0
// File: main.cc: the `anchor-agent` binary (the resident scheduler; no OpenSSL, no libcurl).
#include "agent/agent_scheduler.h"

int main(int argc, char** argv) { return anchor::agent::RunAgentCommand(argc, argv); }
