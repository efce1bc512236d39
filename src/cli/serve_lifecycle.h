// SPDX-License-Identifier: Apache-2.0
// File: serve_lifecycle.h: what keeps `anchor serve` running for years: it renews the server's
// own TLS certificate and the delegated OCSP signer before they expire, and reloads anchor.toml,
// the TLS certificate and the OCSP signer on SIGHUP, each without dropping a connection.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api/ca_gauges.h"
#include "api/metrics.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/secret_bytes.h"
#include "home/ca_home.h"
#include "ocsp/responder.h"
#include "server/https_server.h"
#include "server/router.h"
#include "server/server_settings.h"

namespace anchor::cli {

// ServingGeneration is what answers requests, built from one reading of anchor.toml, the
// factory trust it names and the OCSP signer. A reload or a new OCSP signer builds the next
// generation and switches to it; requests in flight finish on theirs (shared_ptr).
struct ServingGeneration {
  ca::CaConfig config;
  ca::FactoryTrust factory;
  std::optional<home::OcspSigner> delegated;  // nullopt: the intermediate signs OCSP
  std::unique_ptr<ca::Authority> authority;
  std::unique_ptr<ocsp::Responder> responder;
  std::unique_ptr<server::Router> router;
  // watched are the CA certificates whose expiry /metrics reports (WatchedCertificates).
  std::vector<api::WatchedCertificate> watched;

  // OcspSignerSubject names who signs OCSP answers.
  std::string OcspSignerSubject() const;
};

// ServeLifecycle owns the serving generations and a thread that renews the CA's own
// certificates (home/own_certificates.h: at two thirds of their lifetime, through the
// Authority, files replaced together), reloads on request, and takes up an intermediate
// generation `anchor ca rotate` switched to (on SIGHUP, or by itself within kLongestSleep). It
// writes one line per renewal and per reload through the logger `anchor serve` writes its request
// lines with (so that
// --log-format json holds for every line); a failed renewal is logged once (rate-limited) and
// retried with back-off (home::RetryDelay) while the current certificate keeps serving.
class ServeLifecycle final {
 public:
  // Create builds the first generation from `home` (opened with its key and `passphrase`, which
  // decrypts the keys of a generation rotated to later) and reads the served server
  // certificate. `home`, `passphrase` (may be null), `clock`, `rng`, `metrics` and `logger`
  // must outlive it. After Start, `home` is the lifecycle thread's alone.
  static Result<std::unique_ptr<ServeLifecycle>> Create(home::CaHome& home,
                                                        const SecretBytes* passphrase,
                                                        const Clock& clock, Rng& rng,
                                                        api::Metrics& metrics, log::Logger& logger);
  ~ServeLifecycle();
  ServeLifecycle(const ServeLifecycle&) = delete;
  ServeLifecycle& operator=(const ServeLifecycle&) = delete;

  // TlsOptions sets the certificate, key and client CA files of `options` for this CA home.
  void TlsOptions(server::ServerOptions& options) const;
  // Dispatch answers `request` with the current generation (any thread).
  http::Response Dispatch(const http::Request& request) const;
  std::shared_ptr<const ServingGeneration> Current() const;

  // Start begins renewing and reloading for `https` (which must outlive Stop), whose TLS
  // settings are `options`.
  void Start(server::HttpsServer& https, const server::ServerOptions& options);
  // Hangup asks for a reload (SIGHUP); it returns at once.
  void Hangup();
  // Stop ends the thread (a renewal in progress finishes first).
  void Stop();

 private:
  ServeLifecycle(home::CaHome& home, const SecretBytes* passphrase, const Clock& clock, Rng& rng,
                 api::Metrics& metrics, log::Logger& logger)
      : home_(home),
        passphrase_(passphrase),
        clock_(clock),
        rng_(rng),
        metrics_(metrics),
        logger_(logger) {}

  Result<std::shared_ptr<ServingGeneration>> Build(ca::CaConfig config, ca::FactoryTrust factory,
                                                   std::optional<home::OcspSigner> delegated);
  void Switch(std::shared_ptr<ServingGeneration> next);
  void Loop();
  void RenewServerCertificate();
  void RenewOcspSigner();
  void Reload();
  // ReadIntermediates reads the home's intermediate generations again
  // (home::CaHome::ReloadIntermediates) and describes, for the log, how they differ from what
  // the serving generation issues from: "" when they do not.
  Result<std::string> ReadIntermediates();
  // FollowRotation takes up a generation that intermediates/current names and the serving
  // generation does not issue from (after `anchor ca rotate`, or a reload that failed half-way),
  // without a SIGHUP: new certificates come from it, TLS accepts it. A failure is logged once per
  // generation named, and retried at each wake.
  void FollowRotation();
  // RetryTls loads the TLS settings again after FollowRotation could not (TLS then lacks the new
  // generation's client CA), at each wake until it succeeds.
  void RetryTls();
  // RevokeReplaced revokes `replaced`, the server certificate new handshakes no longer get, as
  // superseded, unless it is still the one served; a failure is logged.
  void RevokeReplaced(const crypto::Certificate& replaced);
  void Schedule();

  home::CaHome& home_;
  const SecretBytes* passphrase_;
  const Clock& clock_;
  Rng& rng_;
  api::Metrics& metrics_;
  log::Logger& logger_;
  server::HttpsServer* https_ = nullptr;
  server::ServerOptions tls_options_;
  server::ServerSettings running_settings_;  // the transport's, as started: they need a restart

  mutable std::mutex current_mu_;
  std::shared_ptr<const ServingGeneration> current_;

  // Touched only by the thread (and Create, before it starts).
  std::optional<crypto::Certificate> served_;  // the server certificate new handshakes present
  Clock::time_point server_due_{};
  Clock::time_point ocsp_due_ = Clock::time_point::max();
  int server_failures_ = 0;
  int ocsp_failures_ = 0;
  int refused_generation_ = 0;  // the generation whose take-up failed, logged once
  bool tls_behind_ = false;     // TLS lacks the serving generation's client CA

  std::mutex mu_;
  std::condition_variable wake_;
  bool hangup_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace anchor::cli
