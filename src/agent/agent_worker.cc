// SPDX-License-Identifier: Apache-2.0
// File: agent_worker.cc: anchor-agent-worker: one attempt (enroll if there is no certificate,
// else renew if due), `status`, and the state that tells the scheduler when to come back. It
// links the crypto layer and libcurl; the resident scheduler (agent_scheduler.cc) links neither,
// which keeps the agent small while it waits between renewals.
#include "agent/agent_worker.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "agent/agent_cli.h"
#include "agent/agent_state.h"
#include "agent/device_enrollment.h"
#include "agent/renewal_schedule.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "crypto/crypto_rng.h"
#include "crypto/key_file.h"

namespace anchor::agent {
namespace {

// kMinRenewalInterval keeps a misconfigured --renew-at from renewing in a tight loop after
// successful renewals.
constexpr std::chrono::seconds kMinRenewalInterval{60};

DeviceFiles Files(const AgentOptions& o) { return {o.key, o.cert, o.ca_out}; }

ServerTrust Trust(const AgentOptions& o) {
  return ServerTrust{o.server, o.ca_cert, o.fingerprint, o.tls_min == "1.2"};
}

// Persist saves the state. It is a report and a schedule, not the agent's memory: on a full
// disk the worker carries on with the certificate it has, and says so.
void Persist(const AgentOptions& o, const AgentState& state) {
  if (const Status st = SaveState(o.cert, state); !st) {
    LogLine("warning: cannot save the state for `status`: " + st.error().message());
  }
}

// RunHook runs --on-renew with the new files named in the environment; its failure is logged,
// never fatal: the certificate is already in place.
void RunHook(const AgentOptions& o, const crypto::Certificate& cert) {
  if (o.on_renew.empty()) {
    return;
  }
  ::setenv("ANCHOR_CERT", o.cert.c_str(), 1);
  ::setenv("ANCHOR_KEY", o.key.c_str(), 1);
  ::setenv("ANCHOR_SERIAL", cert.SerialHex().c_str(), 1);
  const int rc = std::system(o.on_renew.c_str());
  if (rc != 0) {
    LogLine("warning: --on-renew exited with status " + std::to_string(rc));
  }
}

// Schedule records the certificate in place and when it is due: at --renew-at of its lifetime,
// earlier by a jitter drawn once for this very certificate.
Clock::time_point Schedule(AgentState& state, const AgentOptions& o,
                           const crypto::Certificate& cert, Rng& rng) {
  if (state.serial != cert.SerialHex() || state.renewal_jitter_seconds < 0) {
    state.renewal_jitter_seconds = RenewalJitter(cert.NotBefore(), cert.NotAfter(), rng).count();
  }
  const Clock::time_point due =
      std::max(cert.NotBefore(), RenewalTime(cert.NotBefore(), cert.NotAfter(), o.renew_at) -
                                     std::chrono::seconds(state.renewal_jitter_seconds));
  state.common_name = cert.CommonName();
  state.serial = cert.SerialHex();
  state.not_after = Iso8601(cert.NotAfter());
  state.next_renewal = Iso8601(due);
  state.next_attempt_unix = UnixSeconds(due);
  return due;
}

// Succeeded records a new certificate and when it is due.
void Succeeded(AgentState& state, const AgentOptions& o, const crypto::Certificate& cert,
               Rng& rng) {
  state.failures = 0;
  state.last_error.clear();
  Schedule(state, o, cert, rng);
}

// Failed records a failed attempt and returns its exit code (ExitCodeFor): kExitRetry with the
// back-off's end as the next attempt when a later attempt may succeed, kExitFailed, saying so,
// when it needs a person (expired beyond the grace period, revoked, a used token).
int Failed(AgentState& state, const AgentOptions& o, const Error& error, Rng& rng) {
  state.last_error = error.message();
  state.last_error_at = Iso8601(SystemClock().Now());
  ++state.failures;
  const int code = ExitCodeFor(error);
  state.next_attempt_unix =
      code == kExitRetry ? UnixSeconds(SystemClock().Now() + RetryDelay(state.failures, rng)) : 0;
  Persist(o, state);
  if (code != kExitRetry) {
    LogLine("not retrying: a later attempt would fail the same way; a person must act on this");
  }
  return code;
}

int EnrollOnce(const AgentOptions& o, AgentState& state, Rng& rng) {
  EnrollRequest request;
  request.trust = Trust(o);
  request.files = Files(o);
  request.common_name = o.common_name;
  request.factory_cert = o.factory_cert;
  request.factory_key = o.factory_key;
  request.key_type = o.key_type;
  Result<EnrollResult> enrolled = [&]() -> Result<EnrollResult> {
    for (const std::string& s : o.sans) {
      ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName name, crypto::ParseGeneralName(s));
      request.sans.push_back(std::move(name));
    }
    ANCHOR_ASSIGN_OR_RETURN(request.token, ReadToken(o.token, o.token_file));
    return Enroll(request);
  }();
  if (!enrolled) {
    LogLine("enrollment failed: " + enrolled.error().message());
    return Failed(state, o, enrolled.error(), rng);
  }
  Succeeded(state, o, enrolled->cert, rng);
  Persist(o, state);
  LogLine("enrolled " + enrolled->cert.Subject() + " serial " + enrolled->cert.SerialHex() +
          (enrolled->generated_key ? " with a key made here" : "") + "; next renewal " +
          state.next_renewal);
  RunHook(o, enrolled->cert);
  return kExitOk;
}

int RenewIfDue(const AgentOptions& o, AgentState& state, Rng& rng) {
  auto cert = crypto::LoadCertificateFile(o.cert);
  if (!cert) {
    LogLine(cert.error().message());
    return ExitCodeFor(cert.error());
  }
  if (SystemClock().Now() < Schedule(state, o, *cert, rng)) {
    state.failures = 0;
    Persist(o, state);
    return kExitOk;
  }
  auto renewed = Renew({Trust(o), Files(o), o.rekey, o.key_type});
  if (!renewed) {
    LogLine("renewal failed: " + renewed.error().message() + "; the current certificate stays");
    return Failed(state, o, renewed.error(), rng);
  }
  Succeeded(state, o, *renewed, rng);
  state.last_renewal = Iso8601(SystemClock().Now());
  // However --renew-at is set, the next renewal comes no sooner than the minimum interval.
  state.next_attempt_unix =
      std::max(state.next_attempt_unix, UnixSeconds(SystemClock().Now() + kMinRenewalInterval));
  Persist(o, state);
  LogLine("renewed " + renewed->Subject() + ": serial " + renewed->SerialHex() + ", valid until " +
          Iso8601(renewed->NotAfter()) + ", next renewal " + state.next_renewal);
  RunHook(o, *renewed);
  return kExitOk;
}

int Attempt(const AgentOptions& o, AgentState& state, Rng& rng) {
  if (const Status st = CheckDistinct(Files(o)); !st) {
    LogLine(st.error().message());
    return ExitCodeFor(st.error());  // a person must fix the flags; nothing is tried
  }
  if (const Status st = RecoverInterruptedInstall(Files(o)); !st) {
    LogLine(st.error().message());
    return Failed(state, o, st.error(), rng);
  }
  auto loaded = LoadState(o.cert);
  if (!loaded) {
    LogLine(loaded.error().message());
    return ExitCodeFor(loaded.error());
  }
  state = std::move(*loaded);
  if (!FileExists(o.cert) || !FileExists(o.key)) {
    if (o.common_name.empty()) {
      LogLine("error: --cn is needed for the first enrollment");
      return kExitUsage;
    }
    return EnrollOnce(o, state, rng);
  }
  return RenewIfDue(o, state, rng);
}

// ReportFd is the descriptor on which the scheduler waits for the next attempt's time
// ($ANCHOR_AGENT_REPORT_FD): a pipe, so the schedule holds even when the state file cannot be
// written (a full disk). -1 when run by hand or from cron.
int ReportFd() {
  const char* env = std::getenv(kReportFdVariable);
  const int fd = env != nullptr ? std::atoi(env) : -1;
  if (fd < 3 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return -1;  // also keeps --on-renew's shell from holding the pipe open
  }
  return fd;
}

int RunOnce(const AgentOptions& o) {
  // The scheduler stops a worker with SIGTERM; one attempt is short, so it is let finish
  // rather than leave files half-renewed.
  std::signal(SIGTERM, SIG_IGN);
  const int report_fd = ReportFd();
  crypto::CryptoRng rng;
  AgentState state;
  const int code = Attempt(o, state, rng);
  if (report_fd >= 0 && state.next_attempt_unix > 0) {
    const std::string line = "next_attempt_unix=" + std::to_string(state.next_attempt_unix) + "\n";
    (void)!::write(report_fd, line.data(), line.size());
  }
  return code;
}

int ShowStatus(const std::string& cert_path) {
  auto cert = crypto::LoadCertificateFile(cert_path);
  auto state = cert ? LoadState(cert_path) : Result<AgentState>(cert.error());
  if (!state) {
    std::fprintf(stderr, "anchor-agent: error: %s\n", state.error().message().c_str());
    return kExitFailed;
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
  AgentOptions o;
  const auto parsed = ParseAgentArgs(
      argc, argv, "anchor-agent-worker: one enrollment or renewal attempt of anchor-agent", o);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  return std::get<AgentCommand>(parsed) == AgentCommand::kRun ? RunOnce(o)
                                                              : ShowStatus(o.status_cert);
}

}  // namespace anchor::agent
