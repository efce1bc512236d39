// SPDX-License-Identifier: Apache-2.0
// File: agent_scheduler.cc: `anchor-agent`, the resident part of the device agent. `run` without
// --once waits between renewals and runs anchor-agent-worker for each attempt; `run --once` and
// `status` are the worker's own. It links neither OpenSSL nor libcurl: between renewals (nearly
// all of a device's life) the agent holds only this small process, and each attempt starts
// clean, so nothing a TLS exchange leaves behind accumulates and a crash in one attempt cannot
// take the agent down.
#include "agent/agent_scheduler.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "agent/agent_cli.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "core/subprocess.h"

namespace anchor::agent {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// kWorkerName is the worker binary, found beside this one (or at $ANCHOR_AGENT_WORKER).
constexpr const char* kWorkerName = "anchor-agent-worker";
// kMinWait keeps a worker that crashes before it writes its state from running in a loop.
constexpr std::chrono::seconds kMinWait{5};
// kWorkerGrace is how long a stopping agent lets an attempt in progress finish: longer than the
// client's request timeouts, so files are never left half-renewed by the stop.
constexpr std::chrono::seconds kWorkerGrace{40};

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

// SleepUntil waits until `when` or a stop signal; false when stopped.
bool SleepUntil(Clock::time_point when) {
  while (!g_stop && SystemClock().Now() < when) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return !g_stop;
}

// kReportFd is the worker's descriptor for its report.
constexpr int kReportFd = 3;

struct AttemptResult {
  int code = kExitRetry;     // -1: the agent is stopping (the attempt was let finish)
  int64_t next_attempt = 0;  // as the worker reported it; 0: no report (it crashed)
};

// RunAttempt runs one worker attempt and collects its exit code and report.
AttemptResult RunAttempt(const std::vector<std::string>& argv) {
  SubprocessOptions options{argv,
                            {std::string(kReportFdVariable) + "=" + std::to_string(kReportFd)},
                            "",
                            "",
                            /*inherit_output=*/true,
                            kReportFd};
  auto worker = Subprocess::Start(options);
  if (!worker) {
    LogLine(worker.error().message());
    return {};
  }
  AttemptResult result;
  for (;;) {
    if (auto code = worker->Wait(std::chrono::milliseconds(200))) {
      result.code = g_stop ? -1 : *code;
      break;
    }
    if (g_stop) {
      worker->Stop(kWorkerGrace);
      result.code = -1;
      break;
    }
  }
  const std::string report = worker->TakeReport();
  if (const size_t at = report.find("next_attempt_unix="); at != std::string::npos) {
    result.next_attempt = std::atoll(report.c_str() + at + std::strlen("next_attempt_unix="));
  }
  return result;
}

int Daemon(const std::vector<std::string>& worker_argv) {
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  int unreported = 0;  // attempts in a row that ended without a report
  for (;;) {
    const AttemptResult attempt = RunAttempt(worker_argv);
    if (attempt.code < 0) {
      break;
    }
    if (attempt.code == kExitFailed || attempt.code == kExitUsage) {
      LogLine("stopping: the last attempt needs attention (see above, and `anchor-agent status`)");
      return attempt.code;
    }
    // A worker that died without a report: wait longer each time, as its back-off would.
    unreported = attempt.next_attempt > 0 ? 0 : unreported + 1;
    const auto earliest = SystemClock().Now() + kMinWait * (1 << std::min(unreported, 9));
    const auto next = std::max(FromUnixSeconds(attempt.next_attempt), earliest);
    if (attempt.code == kExitRetry) {
      LogLine("next attempt at " + Iso8601(next));
    }
    if (!SleepUntil(next)) {
      break;
    }
  }
  LogLine("stopped");
  return kExitOk;
}

}  // namespace

int RunAgentCommand(int argc, char** argv) {
  AgentOptions o;
  const auto parsed = ParseAgentArgs(
      argc, argv,
      "anchor-agent: enrolls this device with anchor serve and keeps its certificate fresh", o);
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
    return kExitFailed;
  }
  std::vector<std::string> worker_argv{worker};
  worker_argv.insert(worker_argv.end(), argv + 1, argv + argc);
  if (command == AgentCommand::kStatus || o.once) {
    std::vector<char*> args;
    for (std::string& a : worker_argv) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    ::execv(worker.c_str(), args.data());
    std::fprintf(stderr, "anchor-agent: error: cannot run %s\n", worker.c_str());
    return kExitFailed;
  }
  worker_argv.push_back("--once");
  return Daemon(worker_argv);
}

}  // namespace anchor::agent
