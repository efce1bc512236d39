// SPDX-License-Identifier: Apache-2.0
// File: agent_command.cc: `anchor-agent run` (enroll once, then keep the certificate fresh) and
// `anchor-agent status`. The entry point lives here rather than in cli/ so that the agent links
// neither Boost nor SQLite (cli/ links the server and the CA).
#include "agent/agent_command.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "agent/agent_state.h"
#include "agent/device_enrollment.h"
#include "agent/renewal_schedule.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "crypto/crypto_rng.h"
#include "crypto/key_file.h"

namespace anchor::agent {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// kMinRenewalInterval keeps a misconfigured --renew-at from renewing in a tight loop after
// successful renewals.
constexpr std::chrono::seconds kMinRenewalInterval{60};

struct Options {
  ServerTrust trust;
  DeviceFiles files;
  std::string common_name;
  std::vector<std::string> sans;
  std::string token, token_file, factory_cert, factory_key;
  std::string key_type = "ec-p256";
  std::string on_renew;
  double renew_at = kDefaultRenewAt;
  bool rekey = true;
  bool once = false;
  std::string tls_min = "1.3";
};

void Log(const std::string& message) {
  std::fprintf(stderr, "%s anchor-agent: %s\n", Iso8601(SystemClock().Now()).c_str(),
               message.c_str());
  std::fflush(stderr);
}

// SleepUntil waits until `when` or a stop signal; false when stopped.
bool SleepUntil(Clock::time_point when) {
  while (!g_stop && SystemClock().Now() < when) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return !g_stop;
}

// RunHook runs --on-renew with the new files named in the environment; its failure is logged,
// never fatal: the certificate is already in place.
void RunHook(const Options& o, const crypto::Certificate& cert) {
  if (o.on_renew.empty()) {
    return;
  }
  ::setenv("ANCHOR_CERT", o.files.cert.c_str(), 1);
  ::setenv("ANCHOR_KEY", o.files.key.c_str(), 1);
  ::setenv("ANCHOR_SERIAL", cert.SerialHex().c_str(), 1);
  const int rc = std::system(o.on_renew.c_str());
  if (rc != 0) {
    Log("warning: --on-renew exited with status " + std::to_string(rc));
  }
}

void Record(AgentState& state, const Options& o, const crypto::Certificate& cert) {
  state.common_name = cert.CommonName();
  state.serial = cert.SerialHex();
  state.not_after = Iso8601(cert.NotAfter());
  state.next_renewal = Iso8601(RenewalTime(cert.NotBefore(), cert.NotAfter(), o.renew_at));
}

// Persist saves the state for `anchor-agent status`. It is a report, not the agent's memory:
// on a full disk the agent carries on with the certificate it has, and says so.
void Persist(const Options& o, const AgentState& state) {
  if (const Status st = SaveState(o.files.cert, state); !st) {
    Log("warning: cannot save the state for `status`: " + st.error().message());
  }
}

void RecordFailure(AgentState& state, const Error& error) {
  state.last_error = error.message();
  state.last_error_at = Iso8601(SystemClock().Now());
  ++state.failures;
}

// Retryable errors are those a later attempt can outlive: the CA down or unreachable.
bool Retryable(const Error& e) { return e.code() == Code::kUnavailable; }

Status EnrollFirst(const Options& o, AgentState& state, Rng& rng) {
  EnrollRequest request;
  request.trust = o.trust;
  request.files = o.files;
  request.common_name = o.common_name;
  for (const std::string& s : o.sans) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName name, crypto::ParseGeneralName(s));
    request.sans.push_back(std::move(name));
  }
  ANCHOR_ASSIGN_OR_RETURN(request.token, ReadToken(o.token, o.token_file));
  request.factory_cert = o.factory_cert;
  request.factory_key = o.factory_key;
  request.key_type = o.key_type;
  for (;;) {
    auto enrolled = Enroll(request);
    if (enrolled) {
      state.failures = 0;
      state.last_error.clear();
      Record(state, o, enrolled->cert);
      Persist(o, state);
      Log("enrolled " + enrolled->cert.Subject() + " serial " + enrolled->cert.SerialHex() +
          (enrolled->generated_key ? " with a key made here" : ""));
      RunHook(o, enrolled->cert);
      return OkStatus();
    }
    RecordFailure(state, enrolled.error());
    Persist(o, state);
    if (!Retryable(enrolled.error()) || o.once) {
      return enrolled.error();
    }
    const auto wait = RetryDelay(state.failures, rng);
    Log("enrollment failed (" + enrolled.error().message() + "); retrying in " +
        std::to_string(wait.count()) + " s");
    if (!SleepUntil(SystemClock().Now() + wait)) {
      return OkStatus();
    }
  }
}

Status KeepFresh(const Options& o, AgentState& state, Rng& rng) {
  Clock::time_point last_attempt{};
  while (!g_stop) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(o.files.cert));
    Record(state, o, cert);
    Clock::time_point due = RenewalTime(cert.NotBefore(), cert.NotAfter(), o.renew_at);
    if (state.failures > 0) {
      // After a failure the back-off decides (from 5 s), not the minimum interval below.
      due = std::max(due, last_attempt + RetryDelay(state.failures, rng));
      state.next_renewal = Iso8601(due);
    } else {
      due = std::max(due, last_attempt + kMinRenewalInterval);
    }
    Persist(o, state);
    if (SystemClock().Now() < due) {
      if (o.once) {
        return OkStatus();
      }
      if (!SleepUntil(due)) {
        break;
      }
    }
    last_attempt = SystemClock().Now();
    RenewRequest request{o.trust, o.files, o.rekey, o.key_type};
    auto renewed = Renew(request);
    if (!renewed) {
      RecordFailure(state, renewed.error());
      Persist(o, state);
      Log("renewal failed: " + renewed.error().message() + "; the current certificate stays");
      if (!Retryable(renewed.error()) || o.once) {
        return renewed.error();
      }
      continue;
    }
    state.failures = 0;
    state.last_error.clear();
    state.last_renewal = Iso8601(SystemClock().Now());
    Record(state, o, *renewed);
    Persist(o, state);
    Log("renewed " + renewed->Subject() + ": serial " + renewed->SerialHex() + ", valid until " +
        Iso8601(renewed->NotAfter()) + ", next renewal " + state.next_renewal);
    RunHook(o, *renewed);
    if (o.once) {
      return OkStatus();
    }
  }
  Log("stopped");
  return OkStatus();
}

Status Run(const Options& o) {
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  crypto::CryptoRng rng;
  ANCHOR_TRY(RecoverInterruptedInstall(o.files));
  ANCHOR_ASSIGN_OR_RETURN(AgentState state, LoadState(o.files.cert));
  if (!FileExists(o.files.cert) || !FileExists(o.files.key)) {
    ANCHOR_TRY(EnrollFirst(o, state, rng));
  }
  return KeepFresh(o, state, rng);
}

Status ShowStatus(const std::string& cert_path) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(cert_path));
  ANCHOR_ASSIGN_OR_RETURN(AgentState state, LoadState(cert_path));
  std::printf("identity:      %s\n", cert.Subject().c_str());
  std::printf("serial:        %s\n", cert.SerialHex().c_str());
  std::printf("expires:       %s\n", Iso8601(cert.NotAfter()).c_str());
  std::printf("next renewal:  %s\n", state.next_renewal.empty() ? "(agent not run yet)"
                                                                 : state.next_renewal.c_str());
  std::printf("last renewal:  %s\n", state.last_renewal.empty() ? "never" : state.last_renewal.c_str());
  std::printf("last error:    %s\n",
              state.last_error.empty()
                  ? "none"
                  : (state.last_error + " (at " + state.last_error_at + ", " +
                     std::to_string(state.failures) + " attempt(s) in a row)")
                        .c_str());
  return OkStatus();
}

}  // namespace

int RunAgentCommand(int argc, char** argv) {
  Options o;
  std::string status_cert;
  CLI::App app{"anchor-agent: enrolls this device with anchor serve and keeps its certificate fresh",
               "anchor-agent"};
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "enroll if needed, then renew at 2/3 of each lifetime");
  run->add_option("--server", o.trust.server, "URL of anchor serve")->required();
  run->add_option("--ca-cert", o.trust.ca_cert, "PEM file of the CA the server chains to");
  run->add_option("--fingerprint", o.trust.fingerprint, "SHA-256 of the CA root (instead of --ca-cert)");
  run->add_option("--tls-min", o.tls_min, "1.3 (default) or 1.2")->check(CLI::IsMember({"1.2", "1.3"}));
  run->add_option("--cn", o.common_name, "the device id to enroll (the token's CN)");
  run->add_option("--san", o.sans, "further names (repeatable)");
  run->add_option("--key", o.files.key, "key file (made here, 0600)")->required();
  run->add_option("--cert", o.files.cert, "certificate file (full chain)")->required();
  run->add_option("--ca-out", o.files.ca_out, "write the CA root(s) here");
  run->add_option("--token", o.token, "one-time enrollment token (or --token-file, $ANCHOR_TOKEN)");
  run->add_option("--token-file", o.token_file, "file holding the token");
  run->add_option("--factory-cert", o.factory_cert, "enroll with a factory certificate");
  run->add_option("--factory-key", o.factory_key, "its key");
  run->add_option("--key-type", o.key_type, "type of the keys made here (default ec-p256)");
  run->add_option("--on-renew", o.on_renew,
                  "shell command after each new certificate ($ANCHOR_CERT, $ANCHOR_KEY, $ANCHOR_SERIAL)");
  run->add_option("--renew-at", o.renew_at, "share of the lifetime after which to renew (0.667)")
      ->check(CLI::Range(0.0, 1.0));
  run->add_flag("!--keep-key", o.rekey, "renew with the same key (default: a new key each time)");
  run->add_flag("--once", o.once, "enroll or renew if due, then exit (for cron and tests)");
  CLI::App* status = app.add_subcommand("status", "identity, expiry, next renewal, last error");
  status->add_option("--cert", status_cert, "the certificate the agent keeps")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  o.trust.allow_tls12 = o.tls_min == "1.2";
  const bool first = !FileExists(o.files.cert);
  if (*run && first && o.common_name.empty()) {
    std::fprintf(stderr, "anchor-agent: error: --cn is needed for the first enrollment\n");
    return 2;
  }
  const Status st = *run ? Run(o) : ShowStatus(status_cert);
  if (!st) {
    std::fprintf(stderr, "anchor-agent: error: %s\n", st.error().message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace anchor::agent
