// SPDX-License-Identifier: Apache-2.0
// File: agent_flags.h: the `anchor-agent` command line, shared by the resident scheduler and the
// worker it runs, so that both read the same flags the same way.
#pragma once

#include <string>
#include <variant>

#include "agent/agent_settings.h"

namespace anchor::agent_cli {

// AgentFlags are the flags of `anchor-agent run` and `anchor-agent status`.
struct AgentFlags {
  agent::AgentSettings settings;  // `run`
  bool once = false;              // `run --once`
  std::string status_cert;        // `status --cert`
  bool status_json = false;       // `status --json`
};

// AgentCommand is the subcommand that was given.
enum class AgentCommand { kRun, kStatus };

// ParseAgentArgs defines `run` and `status` on a CLI11 app named `program` ("anchor-agent",
// "anchor-agent-worker": what --version and usage lines say) and described by `about`, parses
// `argv` into `flags`, and returns the command given, or the exit code when parsing ended the run
// (help, or a usage error, which it has printed).
std::variant<AgentCommand, int> ParseAgentArgs(int argc, char** argv, const std::string& program,
                                               const std::string& about, AgentFlags& flags);

}  // namespace anchor::agent_cli
