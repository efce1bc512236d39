// SPDX-License-Identifier: Apache-2.0
// File: agent_command.cc: `anchor-agent`: finds the worker, hands `run --once` and `status` to it,
// and otherwise runs the schedule until SIGTERM or SIGINT. Like the schedule, it links neither
// OpenSSL nor libcurl.
#include "agent_cli/agent_command.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/agent_scheduler.h"
#include "agent_cli/agent_flags.h"
#include "core/clock.h"
#include "core/exit_codes.h"
#include "core/file_io.h"

namespace anchor::agent_cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
volatile std::sig_atomic_t g_reload = 0;
void OnHangup(int) { g_reload = 1; }

// kWorkerName is the worker binary, found beside this one (or at $ANCHOR_AGENT_WORKER).
constexpr const char* kWorkerName = "anchor-agent-worker";

std::string FindWorker() {
  if (const char* env = std::getenv("ANCHOR_AGENT_WORKER"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (const char* relative : {"", "../lib/anchor/"}) {
    const auto candidate = (self.parent_path() / relative / kWorkerName).lexically_normal();
    if (!ec && FileExists(candidate.string())) {
      return candidate.string();
    }
  }
  return "";
}

}  // namespace

int RunAgentCommand(int argc, char** argv) {
  AgentFlags flags;
  const auto parsed = ParseAgentArgs(
      argc, argv, "anchor-agent",
      "anchor-agent: enrolls this device with anchor serve and keeps its certificate fresh", flags);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const AgentCommand command = std::get<AgentCommand>(parsed);
  const std::string worker = FindWorker();
  if (worker.empty()) {
    std::fprintf(stderr,
                 "anchor-agent: error: %s not found beside anchor-agent; install both, or "
                 "set ANCHOR_AGENT_WORKER\n",
                 kWorkerName);
    return kExitFailure;
  }
  std::vector<std::string> worker_argv{worker};
  worker_argv.insert(worker_argv.end(), argv + 1, argv + argc);
  if (command == AgentCommand::kStatus || flags.once) {
    std::vector<char*> args;
    for (std::string& a : worker_argv) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    ::execv(worker.c_str(), args.data());
    std::fprintf(stderr, "anchor-agent: error: cannot run %s\n", worker.c_str());
    return kExitFailure;
  }
  worker_argv.push_back("--once");
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  // SIGHUP (systemctl reload) re-reads the files the flags name, at once (RunSchedule).
  std::signal(SIGHUP, OnHangup);
  const SystemClock clock;
  return agent::RunSchedule(worker_argv, clock, g_stop, &g_reload);
}

}  // namespace anchor::agent_cli
