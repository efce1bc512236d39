// SPDX-License-Identifier: Apache-2.0
// File: agent_cli.h: the `anchor-agent` command line, shared by the resident scheduler and the
// worker it runs, so that both read the same flags the same way, exit with the same codes and
// log the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <variant>
#include <vector>

#include "agent/renewal_schedule.h"
#include "core/error.h"

namespace anchor::agent {

// AgentOptions are the flags of `anchor-agent run` and `anchor-agent status`.
struct AgentOptions {
  std::string server, ca_cert, fingerprint, tls_min = "1.3";
  std::string common_name;
  std::vector<std::string> sans;
  std::string key, cert, ca_out;
  std::string token, token_file, factory_cert, factory_key;
  std::string key_type = "ec-p256";
  std::string on_renew;
  double renew_at = kDefaultRenewAt;
  bool rekey = true;
  bool once = false;
  std::string status_cert;
};

// AgentCommand is the subcommand that was given.
enum class AgentCommand { kRun, kStatus };

// ParseAgentArgs defines `run` and `status` on a CLI11 app described by `about`, parses `argv`
// into `o`, and returns the command given, or the exit code when parsing ended the run (help,
// a usage error, which CLI11 has printed).
std::variant<AgentCommand, int> ParseAgentArgs(int argc, char** argv, const std::string& about,
                                               AgentOptions& o);

// LogLine writes "TIME anchor-agent: MESSAGE" to stderr.
void LogLine(const std::string& message);

// Exit codes of `anchor-agent` (and of each worker run): a failure that a later attempt may
// outlive (the CA or the disk unavailable) is kExitRetry, so that the scheduler, cron or
// systemd can tell it from one that needs a person (revoked, expired, a bad token).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRetry = 75;  // EX_TEMPFAIL

// ExitCodeFor is the one place an error becomes the agent's exit code (STYLE.md 4.2): kExitRetry
// for what a later attempt may outlive without anyone acting (the CA down, overloaded or out of
// disk, our own disk full: kUnavailable; a fault inside the CA: kInternal; a lost race:
// kAborted), kExitFailed for the rest, which a person must act on (a certificate expired beyond
// the grace period, revoked or not recognised, a used token, a refused name, a bad file).
int ExitCodeFor(const Error& error);

// kReportFdVariable names the descriptor on which a worker run by the scheduler reports
// "next_attempt_unix=N", the time of its next attempt.
inline constexpr const char* kReportFdVariable = "ANCHOR_AGENT_REPORT_FD";

}  // namespace anchor::agent
