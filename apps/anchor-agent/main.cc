// SPDX-License-Identifier: Apache-2.0
// File: main.cc: the `anchor-agent` binary (the resident scheduler; no OpenSSL, no libcurl).
#include "agent_cli/agent_command.h"

int main(int argc, char** argv) { return anchor::agent_cli::RunAgentCommand(argc, argv); }
