// SPDX-License-Identifier: Apache-2.0
// File: agent_worker.cc: one attempt of the device agent (enroll if there is no certificate,
// else renew if due) and the state that tells the scheduler when to come back. It links the
// crypto layer and libcurl; the resident scheduler (agent_scheduler.cc) links neither, which
// keeps the agent small while it waits between renewals.
#include "agent/agent_worker.h"

#include <algorithm>
#include <cstdlib>

#include "agent/agent_log.h"
#include "agent/device_enrollment.h"
#include "agent/renewal_schedule.h"
#include "core/exit_codes.h"
#include "core/file_io.h"
#include "crypto/key_file.h"

namespace anchor::agent {
namespace {

// kMinRenewalInterval keeps a misconfigured --renew-at from renewing in a tight loop after
// successful renewals.
constexpr std::chrono::seconds kMinRenewalInterval{60};

DeviceFiles Files(const AgentSettings& o) { return {o.key, o.cert, o.ca_out}; }

// Trust is how this attempt reaches the CA: the replicas of --server, the one that answered the
// last attempt first, each switch between them logged once.
Result<ServerTrust> Trust(const AgentSettings& o, const AgentState& state, const Clock& clock) {
  ANCHOR_ASSIGN_OR_RETURN(client::ServerList servers,
                          client::ServerList::Parse(o.servers, "--server"));
  servers.Prefer(state.server);
  servers.SetSwitchLog([&clock](const std::string& line) { LogLine(clock, line); });
  return ServerTrust{std::move(servers), o.ca_cert, o.fingerprint, o.tls_min == "1.2"};
}

AttemptResult Done() { return {AttemptEnd::kDone, std::nullopt}; }
AttemptResult Failure(const Error& error) { return {AttemptEnd::kFailed, error}; }

// Persist saves the state. It is a report and a schedule, not the agent's memory: on a full
// disk the worker carries on with the certificate it has, and says so.
void Persist(const AgentSettings& o, const AgentState& state, const Clock& clock) {
  if (const Status st = SaveState(o.cert, state); !st) {
    LogLine(clock, "warning: cannot save the state for `status`: " + st.error().message());
  }
}

// RunHook runs --on-renew with the new files named in the environment; its failure is logged,
// never fatal: the certificate is already in place.
void RunHook(const AgentSettings& o, const crypto::Certificate& cert, const Clock& clock) {
  if (o.on_renew.empty()) {
    return;
  }
  ::setenv("ANCHOR_CERT", o.cert.c_str(), 1);
  ::setenv("ANCHOR_KEY", o.key.c_str(), 1);
  ::setenv("ANCHOR_SERIAL", cert.SerialHex().c_str(), 1);
  const int rc = std::system(o.on_renew.c_str());
  if (rc != 0) {
    LogLine(clock, "warning: --on-renew exited with status " + std::to_string(rc));
  }
}

// Schedule records the certificate in place and when it is due: at --renew-at of its lifetime,
// earlier by a jitter drawn once for this very certificate.
Clock::time_point Schedule(AgentState& state, const AgentSettings& o,
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
void Succeeded(AgentState& state, const AgentSettings& o, const crypto::Certificate& cert,
               Rng& rng) {
  state.failures = 0;
  state.last_error.clear();
  Schedule(state, o, cert, rng);
}

// Failed records a failed attempt: the back-off's end as the next attempt when a later attempt
// may succeed (IsTemporary), none, saying so, when it needs a person (expired beyond the grace
// period, revoked, a used token).
AttemptResult Failed(AgentState& state, const AgentSettings& o, const Error& error,
                     const Clock& clock, Rng& rng) {
  state.last_error = error.message();
  state.last_error_at = Iso8601(clock.Now());
  ++state.failures;
  const bool temporary = IsTemporary(error);
  state.next_attempt_unix =
      temporary ? UnixSeconds(clock.Now() + RetryDelay(state.failures, rng)) : 0;
  Persist(o, state, clock);
  if (!temporary) {
    LogLine(clock,
            "not retrying: a later attempt would fail the same way; a person must act on this");
  }
  return Failure(error);
}

AttemptResult EnrollOnce(const AgentSettings& o, AgentState& state, const Clock& clock, Rng& rng) {
  EnrollRequest request;
  request.files = Files(o);
  request.common_name = o.common_name;
  request.factory_cert = o.factory_cert;
  request.factory_key = o.factory_key;
  request.key_type = o.key_type;
  request.in_tpm = !o.tpm.empty();
  request.attest = o.attest;
  Result<EnrollResult> enrolled = [&]() -> Result<EnrollResult> {
    ANCHOR_ASSIGN_OR_RETURN(request.trust, Trust(o, state, clock));
    for (const std::string& s : o.sans) {
      ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName name, crypto::ParseGeneralName(s));
      request.sans.push_back(std::move(name));
    }
    ANCHOR_ASSIGN_OR_RETURN(request.token, ReadToken(o.token, o.token_file));
    auto result = Enroll(request);
    state.server = request.trust.servers.Current();
    return result;
  }();
  if (!enrolled) {
    LogLine(clock, "enrollment failed: " + enrolled.error().message());
    return Failed(state, o, enrolled.error(), clock, rng);
  }
  Succeeded(state, o, enrolled->cert, rng);
  Persist(o, state, clock);
  LogLine(clock,
          "enrolled " + enrolled->cert.Subject() + " serial " + enrolled->cert.SerialHex() +
              (enrolled->generated_key ? (o.tpm.empty() ? " with a key made here"
                                          : o.attest    ? " with a key made in the TPM, attested"
                                                        : " with a key made in the TPM")
                                       : "") +
              "; next renewal " + state.next_renewal);
  RunHook(o, enrolled->cert, clock);
  return Done();
}

AttemptResult RenewIfDue(const AgentSettings& o, AgentState& state, const Clock& clock, Rng& rng) {
  auto cert = crypto::LoadCertificateFile(o.cert);
  if (!cert) {
    LogLine(clock, cert.error().message());
    return Failure(cert.error());
  }
  if (clock.Now() < Schedule(state, o, *cert, rng)) {
    state.failures = 0;
    Persist(o, state, clock);
    return Done();
  }
  auto renewed = [&]() -> Result<crypto::Certificate> {
    ANCHOR_ASSIGN_OR_RETURN(ServerTrust trust, Trust(o, state, clock));
    auto result = Renew({trust, Files(o), o.rekey, o.key_type, !o.tpm.empty(), o.attest});
    state.server = trust.servers.Current();
    return result;
  }();
  if (!renewed) {
    LogLine(clock,
            "renewal failed: " + renewed.error().message() + "; the current certificate stays");
    return Failed(state, o, renewed.error(), clock, rng);
  }
  Succeeded(state, o, *renewed, rng);
  state.last_renewal = Iso8601(clock.Now());
  // However --renew-at is set, the next renewal comes no sooner than the minimum interval.
  state.next_attempt_unix =
      std::max(state.next_attempt_unix, UnixSeconds(clock.Now() + kMinRenewalInterval));
  Persist(o, state, clock);
  LogLine(clock, "renewed " + renewed->Subject() + ": serial " + renewed->SerialHex() +
                     ", valid until " + Iso8601(renewed->NotAfter()) + ", next renewal " +
                     state.next_renewal);
  RunHook(o, *renewed, clock);
  return Done();
}

}  // namespace

AttemptResult RunAttempt(const AgentSettings& settings, AgentState& state, const Clock& clock,
                         Rng& rng) {
  if (const Status st = CheckDistinct(Files(settings)); !st) {
    LogLine(clock, st.error().message());
    return Failure(st.error());  // a person must fix the flags; nothing is tried
  }
  if (const Status st = RecoverInterruptedInstall(Files(settings)); !st) {
    LogLine(clock, st.error().message());
    return Failed(state, settings, st.error(), clock, rng);
  }
  auto loaded = LoadState(settings.cert);
  if (!loaded) {
    LogLine(clock, loaded.error().message());
    return Failure(loaded.error());
  }
  state = std::move(*loaded);
  if (!FileExists(settings.cert) || !FileExists(settings.key)) {
    if (settings.common_name.empty()) {
      LogLine(clock, "error: --cn is needed for the first enrollment");
      return {AttemptEnd::kNoCommonName, std::nullopt};
    }
    return EnrollOnce(settings, state, clock, rng);
  }
  return RenewIfDue(settings, state, clock, rng);
}

}  // namespace anchor::agent
