// SPDX-License-Identifier: Apache-2.0
// File: agent_scheduler.cc: the resident loop of the device agent: it waits between renewals and
// runs anchor-agent-worker for each attempt. It links neither OpenSSL nor libcurl: between
// renewals (nearly all of a device's life) the agent holds only this small process, and each
// attempt starts clean, so nothing a TLS exchange leaves behind accumulates and a crash in one
// attempt cannot take the agent down.
#include "agent/agent_scheduler.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "agent/agent_log.h"
#include "core/exit_codes.h"
#include "core/subprocess.h"

namespace anchor::agent {
namespace {

// kMinWait keeps a worker that crashes before it writes its state from running in a loop.
constexpr std::chrono::seconds kMinWait{5};
// kMinReportedWait keeps a reported time already past (a certificate due at once) from looping.
// It is below the first retry's back-off (RetryDelay: 2-5 s), which must stand as drawn: a floor
// above it would send a fleet that met the same outage back at the same second.
constexpr std::chrono::seconds kMinReportedWait{1};
// kWorkerGrace is how long a stopping agent lets an attempt in progress finish: longer than the
// client's request timeouts, so files are never left half-renewed by the stop.
constexpr std::chrono::seconds kWorkerGrace{40};
// kPoll is how often a wait looks at `clock` and `stop`.
constexpr std::chrono::milliseconds kPoll{200};

// SleepUntil waits until `when` by `clock`, or until `stop` or `reload` is set; false when
// stopped.
bool SleepUntil(Clock::time_point when, const Clock& clock, const volatile std::sig_atomic_t& stop,
                const volatile std::sig_atomic_t* reload) {
  while (!stop && clock.Now() < when && (reload == nullptr || *reload == 0)) {
    std::this_thread::sleep_for(kPoll);
  }
  return !stop;
}

// kReportFd is the worker's descriptor for its report.
constexpr int kReportFd = 3;

// WorkerRun is what one run of the worker left: its exit code and its report.
struct WorkerRun {
  int code = kExitTempFail;  // -1: the agent is stopping (the attempt was let finish)
  int64_t next_attempt = 0;  // as the worker reported it; 0: no report (it crashed)
};

// RunWorker runs the worker for one attempt and collects its exit code and report.
WorkerRun RunWorker(const std::vector<std::string>& argv, const Clock& clock,
                    const volatile std::sig_atomic_t& stop) {
  SubprocessOptions options{argv,
                            {std::string(kReportFdVariable) + "=" + std::to_string(kReportFd)},
                            "",
                            "",
                            /*inherit_output=*/true,
                            kReportFd};
  auto worker = Subprocess::Start(options);
  if (!worker) {
    LogRepeating(clock, worker.error().message());
    return {};
  }
  WorkerRun result;
  for (;;) {
    if (auto code = worker->Wait(kPoll)) {
      result.code = stop ? -1 : *code;
      break;
    }
    if (stop) {
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

}  // namespace

int RunSchedule(const std::vector<std::string>& worker_argv, const Clock& clock,
                const volatile std::sig_atomic_t& stop, volatile std::sig_atomic_t* reload) {
  int unreported = 0;  // attempts in a row that ended without a report
  for (;;) {
    if (reload != nullptr && *reload != 0) {
      *reload = 0;
      LogLine(clock,
              "reload (SIGHUP): re-reading the certificate, key, CA and token files now; "
              "flags need a restart");
    }
    const WorkerRun attempt = RunWorker(worker_argv, clock, stop);
    if (attempt.code < 0) {
      break;
    }
    if (attempt.code == kExitFailure || attempt.code == kExitUsage) {
      LogLine(clock,
              "stopping: the last attempt needs attention (see above, and `anchor-agent status`)");
      return attempt.code;
    }
    // A worker that died without a report: wait longer each time, as its back-off would.
    unreported = attempt.next_attempt > 0 ? 0 : unreported + 1;
    const auto earliest =
        clock.Now() +
        (unreported == 0 ? kMinReportedWait : kMinWait * (1 << std::min(unreported, 9)));
    const auto next = std::max(FromUnixSeconds(attempt.next_attempt), earliest);
    if (attempt.code == kExitTempFail) {
      LogLine(clock, "next attempt at " + Iso8601(next));
    }
    if (!SleepUntil(next, clock, stop, reload)) {
      break;
    }
  }
  LogLine(clock, "stopped");
  return kExitOk;
}

}  // namespace anchor::agent
