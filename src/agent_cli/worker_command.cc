// SPDX-License-Identifier: Apache-2.0
// File: worker_command.cc: `anchor-agent-worker`: one attempt with the wall clock and the CSPRNG,
// its report to the scheduler, its exit code, and `status`.
#include "agent_cli/worker_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "agent/agent_scheduler.h"
#include "agent/agent_state.h"
#include "agent/agent_worker.h"
#include "agent_cli/agent_flags.h"
#include "core/clock.h"
#include "core/exit_codes.h"
#include "crypto/crypto_rng.h"
#include "crypto/key_file.h"
#include "crypto/tpm2_key.h"

namespace anchor::agent_cli {
namespace {

// ReportFd is the descriptor on which the scheduler waits for the next attempt's time
// ($ANCHOR_AGENT_REPORT_FD): a pipe, so the schedule holds even when the state file cannot be
// written (a full disk). -1 when run by hand or from cron.
int ReportFd() {
  const char* env = std::getenv(agent::kReportFdVariable);
  const int fd = env != nullptr ? std::atoi(env) : -1;
  if (fd < 3 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return -1;  // also keeps --on-renew's shell from holding the pipe open
  }
  return fd;
}

// ExitCodeOf is the exit code of an attempt that ended as `result`.
int ExitCodeOf(const agent::AttemptResult& result) {
  switch (result.end) {
    case agent::AttemptEnd::kDone:
      return kExitOk;
    case agent::AttemptEnd::kNoCommonName:
      return kExitUsage;
    case agent::AttemptEnd::kFailed:
      return result.error ? ExitCodeFor(*result.error, Program::kAgent) : kExitFailure;
  }
  return kExitFailure;
}

// kAttemptLimit bounds one attempt: well above its requests' timeouts (a slow CA answers within
// them), it ends an attempt stuck where nothing times out, such as a TPM or resource manager
// that accepts the connection and never answers (tpm2-tss's TCTIs wait forever).
constexpr std::chrono::seconds kAttemptLimit{300};

// StartWatchdog ends the process with kExitTempFail and one line if the attempt has not ended
// within kAttemptLimit: the next attempt (the resident agent's, or the caller's for --once)
// takes up what this one staged, as after a crash.
void StartWatchdog() {
  std::thread([] {
    std::this_thread::sleep_for(kAttemptLimit);
    static constexpr char kLine[] =
        "anchor-agent: the attempt did not end within 300 s (is the TPM or the CA answering?); "
        "stopped, to be tried again\n";
    (void)!::write(2, kLine, sizeof kLine - 1);
    ::_exit(kExitTempFail);
  }).detach();
}

int RunOnce(const agent::AgentSettings& settings) {
  const int report_fd = ReportFd();
  if (report_fd >= 0) {
    // Run by the resident agent, which stops a worker with SIGTERM: one attempt is short, so it
    // is let finish rather than leave files half-renewed. `run --once` (no report descriptor) is
    // the caller's to stop.
    std::signal(SIGTERM, SIG_IGN);
  }
  StartWatchdog();
  const SystemClock clock;
  crypto::CryptoRng rng;
  // Before any key is loaded: a key file may hold a TPM's blob.
  crypto::SetTpm2Tcti(settings.tpm);
  agent::AgentState state;
  const agent::AttemptResult result = agent::RunAttempt(settings, state, clock, rng);
  if (report_fd >= 0 && state.next_attempt_unix > 0) {
    const std::string line = "next_attempt_unix=" + std::to_string(state.next_attempt_unix) + "\n";
    (void)!::write(report_fd, line.data(), line.size());
  }
  return ExitCodeOf(result);
}

// OrNull is `text`, or JSON null when the agent has not recorded it yet.
nlohmann::json OrNull(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

int ShowStatus(const std::string& cert_path, bool json) {
  auto cert = crypto::LoadCertificateFile(cert_path);
  auto state = cert ? agent::LoadState(cert_path) : Result<agent::AgentState>(cert.error());
  if (!state) {
    if (json) {
      std::printf("%s\n", nlohmann::json({{"error",
                                           {{"code", std::string(CodeName(state.error().code()))},
                                            {"message", state.error().message()}}}})
                              .dump(2)
                              .c_str());
    }
    std::fprintf(stderr, "anchor-agent: error: %s\n", state.error().message().c_str());
    return kExitFailure;
  }
  if (json) {
    const nlohmann::json status = {{"identity", cert->Subject()},
                                   {"serial", cert->SerialHex()},
                                   {"not_after", Iso8601(cert->NotAfter())},
                                   {"next_renewal", OrNull(state->next_renewal)},
                                   {"last_renewal", OrNull(state->last_renewal)},
                                   {"last_error", OrNull(state->last_error)},
                                   {"last_error_at", OrNull(state->last_error_at)},
                                   {"failures", state->failures}};
    std::printf("%s\n", status.dump(2).c_str());
    return kExitOk;
  }
  std::printf("identity:      %s\n", cert->Subject().c_str());
  std::printf("serial:        %s\n", cert->SerialHex().c_str());
  std::printf("expires:       %s\n", Iso8601(cert->NotAfter()).c_str());
  std::printf("next renewal:  %s\n",
              state->next_renewal.empty() ? "(agent not run yet)" : state->next_renewal.c_str());
  std::printf("last renewal:  %s\n",
              state->last_renewal.empty() ? "never" : state->last_renewal.c_str());
  std::printf("last error:    %s\n",
              state->last_error.empty()
                  ? "none"
                  : (state->last_error + " (at " + state->last_error_at + ", " +
                     std::to_string(state->failures) + " attempt(s) in a row)")
                        .c_str());
  return kExitOk;
}

}  // namespace

int RunAgentWorker(int argc, char** argv) {
  AgentFlags flags;
  const auto parsed = ParseAgentArgs(
      argc, argv, "anchor-agent-worker",
      "anchor-agent-worker: one enrollment or renewal attempt of anchor-agent", flags);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  return std::get<AgentCommand>(parsed) == AgentCommand::kRun
             ? RunOnce(flags.settings)
             : ShowStatus(flags.status_cert, flags.status_json);
}

}  // namespace anchor::agent_cli
