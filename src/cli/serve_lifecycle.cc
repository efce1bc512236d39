// SPDX-License-Identifier: Apache-2.0
// File: serve_lifecycle.cc: renewal of the server certificate and the OCSP signer, and SIGHUP
// reload, for `anchor serve`.
#include "cli/serve_lifecycle.h"

#include <algorithm>
#include <vector>

#include "ca/generation.h"
#include "cli/serve_generations.h"
#include "core/file_lock.h"
#include "core/text.h"
#include "crypto/key_file.h"
#include "home/config_file.h"
#include "home/intermediates.h"
#include "home/own_certificates.h"

namespace anchor::cli {
namespace {

// kLongestSleep bounds one wait of the thread: a change of the wall clock (NTP, a suspended VM)
// delays a renewal by at most this much, and a rotation is taken up within it without a SIGHUP
// (reading intermediates/current, a few bytes, each time).
constexpr std::chrono::seconds kLongestSleep{10};

// The keys by which repeated renewal failures are rate-limited (log::Logger::WriteLimited).
constexpr std::string_view kServerRenewalFailed = "renewal of the server certificate failed";
constexpr std::string_view kOcspRenewalFailed = "renewal of the OCSP signer failed";

// CheckServed checks server.crt with anchor's own verifier before TLS presents it
// (home::CheckServerCertificate). It may be issued by any generation still serving
// (home::CaHome::Intermediates), so that a server certificate issued before a rotation still
// verifies.
Status CheckServed(const home::CaHome& home, Clock::time_point now, bool* expired = nullptr) {
  return home::CheckServerCertificate(home.paths().server_crt, home.root(), home.Intermediates(),
                                      now, expired);
}

std::string Until(const crypto::Certificate& cert) {
  return "serial " + cert.SerialHex() + ", valid until " + Iso8601(cert.NotAfter());
}

}  // namespace

std::string ServingGeneration::OcspSignerSubject() const {
  return delegated ? delegated->cert.Subject() : authority->intermediate().Subject();
}

Result<std::unique_ptr<ServeLifecycle>> ServeLifecycle::Create(home::CaHome& home,
                                                               const SecretBytes* passphrase,
                                                               const Clock& clock, Rng& rng,
                                                               api::Metrics& metrics,
                                                               log::Logger& logger) {
  std::unique_ptr<ServeLifecycle> out(
      new ServeLifecycle(home, passphrase, clock, rng, metrics, logger));
  const home::CaPaths& paths = home.paths();
  ANCHOR_ASSIGN_OR_RETURN(FileLock held, home::LockOwnCertificates(paths));
  ANCHOR_TRY(home::FinishInterruptedReplace(held, paths.server_key, paths.server_crt));
  ANCHOR_TRY(home::FinishInterruptedReplace(held, paths.ocsp_key, paths.ocsp_crt));
  for (const std::string& warning : home::KeyFileWarnings(paths)) {
    logger.Write(log::Level::kWarning, warning);
  }
  // The certificate TLS will present must verify for our clients; an expired one (serve was
  // down past its notAfter) is renewed at once by the lifecycle thread instead.
  bool expired = false;
  if (Status served = CheckServed(home, clock.Now(), &expired); !served) {
    if (!expired) {
      return served.error();
    }
    logger.Write(log::Level::kWarning, served.error().message() + "; renewing it now");
  }
  ANCHOR_ASSIGN_OR_RETURN(ca::FactoryTrust factory, home::LoadFactoryTrust(home));
  ANCHOR_ASSIGN_OR_RETURN(std::optional<home::OcspSigner> delegated,
                          home::LoadOcspSigner(home, clock.Now()));
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<ServingGeneration> first,
                          out->Build(home.config(), std::move(factory), std::move(delegated)));
  out->Switch(std::move(first));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate served,
                          crypto::LoadCertificateFile(home.paths().server_crt));
  out->served_ = std::move(served);
  out->running_settings_ = home.server_settings();
  return out;
}

ServeLifecycle::~ServeLifecycle() { Stop(); }

void ServeLifecycle::TlsOptions(server::ServerOptions& options) const {
  const home::CaPaths& paths = home_.paths();
  options.cert_chain_file = paths.server_crt;
  options.key_file = paths.server_key;
  options.client_ca_file = paths.root_crt;
  // The issuing generation's own file, not the home's copy of it, which a rotation refreshes
  // only after it has switched.
  options.extra_client_ca_files = {home_.issuing_files().cert};
  for (const std::string& retired : RetiredIntermediateFiles(home_)) {
    options.extra_client_ca_files.push_back(retired);
  }
  if (const std::string& factory = Current()->config.server.bootstrap_ca; !factory.empty()) {
    options.extra_client_ca_files.push_back(factory);
  }
}

Result<std::shared_ptr<ServingGeneration>> ServeLifecycle::Build(
    ca::CaConfig config, ca::FactoryTrust factory, std::optional<home::OcspSigner> delegated) {
  auto g = std::make_shared<ServingGeneration>();
  g->config = std::move(config);
  g->factory = std::move(factory);
  g->delegated = std::move(delegated);
  // The key and certificates are the ones the home opened with; only policy changes. The
  // intermediate generation is the home's, not a key of anchor.toml; the retired generations
  // keep answering for what they issued (OCSP, their CRLs).
  g->config.issuing_generation = home_.generation();
  const std::vector<ca::Generation>& all = home_.authority().generations();
  g->authority = std::make_unique<ca::Authority>(
      g->config, home_.root(), home_.intermediate(), home_.authority().key(), home_.store(), clock_,
      rng_, std::vector<ca::Generation>(all.begin() + 1, all.end()));
  g->responder = std::make_unique<ocsp::Responder>(OcspIssuers(*g->authority, g->delegated),
                                                   home_.store(), clock_);
  g->router = std::make_unique<server::Router>(*g->authority, home_.store(), *g->responder, rng_,
                                               metrics_, g->factory);
  g->watched = WatchedCertificates(home_);
  return g;
}

void ServeLifecycle::Switch(std::shared_ptr<ServingGeneration> next) {
  const std::lock_guard lock(current_mu_);
  current_ = std::move(next);
}

std::shared_ptr<const ServingGeneration> ServeLifecycle::Current() const {
  const std::lock_guard lock(current_mu_);
  return current_;
}

http::Response ServeLifecycle::Dispatch(const http::Request& request) const {
  // The generation lives until its last request is answered, even across a switch.
  const std::shared_ptr<const ServingGeneration> g = Current();
  return g->router->Dispatch(request);
}

void ServeLifecycle::Start(server::HttpsServer& https, const server::ServerOptions& options) {
  https_ = &https;
  tls_options_ = options;
  Schedule();
  thread_ = std::thread([this] { Loop(); });
}

void ServeLifecycle::Hangup() {
  const std::lock_guard lock(mu_);
  hangup_ = true;
  wake_.notify_one();
}

void ServeLifecycle::Stop() {
  {
    const std::lock_guard lock(mu_);
    stop_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ServeLifecycle::Schedule() {
  server_due_ = home::RenewalDue(served_->NotBefore(), served_->NotAfter());
  const std::shared_ptr<const ServingGeneration> g = Current();
  ocsp_due_ = g->delegated
                  ? home::RenewalDue(g->delegated->cert.NotBefore(), g->delegated->cert.NotAfter())
                  : Clock::time_point::max();
}

void ServeLifecycle::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const bool reload = std::exchange(hangup_, false);
    lock.unlock();
    if (reload) {
      Reload();
    } else {
      FollowRotation();
      RetryTls();
    }
    if (clock_.Now() >= server_due_) {
      RenewServerCertificate();
    }
    if (clock_.Now() >= ocsp_due_) {
      RenewOcspSigner();
    }
    // A storm of refused requests that stopped is summed up within kLongestSleep.
    logger_.WriteEndedSummaries();
    lock.lock();
    const Clock::time_point now = clock_.Now();
    const Clock::time_point next = std::min(server_due_, ocsp_due_);
    if (now < next) {
      const auto wait = std::min<std::chrono::system_clock::duration>(next - now, kLongestSleep);
      wake_.wait_for(lock, wait, [this] { return stop_ || hangup_; });
    }
  }
}

Result<std::string> ServeLifecycle::ReadIntermediates() {
  const int before = Current()->config.issuing_generation;
  ANCHOR_TRY(home_.ReloadIntermediates(passphrase_));
  if (home_.generation() == before) {
    return std::string();
  }
  std::string out = "the intermediate (generation " + std::to_string(home_.generation()) + ", " +
                    home_.intermediate().CommonName() + ", issues now";
  for (const ca::Generation& g : home_.retired()) {
    if (g.number == before) {
      out += "; generation " + std::to_string(before) + " is retired and answers OCSP and " +
             ca::CrlPath(before) + " until " + Iso8601(g.cert.NotAfter());
    }
  }
  return out + ")";
}

void ServeLifecycle::FollowRotation() {
  const std::shared_ptr<const ServingGeneration> g = Current();
  const int serving = g->config.issuing_generation;
  Result<int> current = home::CurrentGeneration(home_.paths().home);
  if (current && *current == serving) {
    refused_generation_ = 0;
    return;
  }
  // One line per generation that cannot be taken up (-1: current itself cannot be read), not
  // one per wake; each wake tries again, so a fixed file is taken up without a SIGHUP.
  const int target = current ? *current : -1;
  Result<std::string> taken = current ? ReadIntermediates() : Result<std::string>(current.error());
  Result<std::shared_ptr<ServingGeneration>> next =
      taken ? Build(g->config, g->factory, g->delegated)
            : Result<std::shared_ptr<ServingGeneration>>(taken.error());
  if (!next) {
    if (refused_generation_ != target) {
      refused_generation_ = target;
      logger_.Write(log::Level::kError,
                    "cannot take up the intermediate that intermediates/current names: " +
                        next.error().message() + "; generation " + std::to_string(serving) +
                        " keeps issuing until it is fixed");
    }
    return;
  }
  Switch(*next);
  refused_generation_ = 0;
  // TLS: client certificates of the new generation are accepted from the next handshake on.
  TlsOptions(tls_options_);
  Status tls = https_->ReloadTls(tls_options_);
  tls_behind_ = !tls;
  logger_.Write(tls ? log::Level::kInfo : log::Level::kWarning,
                "took up " + *taken +
                    (tls ? ""
                         : "; TLS cannot load its settings (" + tls.error().message() +
                               "), so it does not accept the new generation's clients yet; "
                               "retried every 10 s"));
}

void ServeLifecycle::RetryTls() {
  if (!tls_behind_) {
    return;
  }
  TlsOptions(tls_options_);
  if (https_->ReloadTls(tls_options_)) {
    tls_behind_ = false;
    logger_.Write(log::Level::kInfo, "TLS accepts the clients of intermediate generation " +
                                         std::to_string(Current()->config.issuing_generation) +
                                         " now");
  }
}

void ServeLifecycle::RenewServerCertificate() {
  const std::shared_ptr<const ServingGeneration> g = Current();
  const crypto::Certificate old = *served_;
  Result<FileLock> held = home::LockOwnCertificates(home_.paths());
  if (!held) {
    ++server_failures_;
    logger_.WriteLimited(kServerRenewalFailed, log::Level::kError,
                         "cannot renew the server certificate: " + held.error().message());
    server_due_ = clock_.Now() + home::RetryDelay(server_failures_, old.NotAfter() - clock_.Now());
    return;
  }
  // server.crt may have been re-issued since it was loaded (`anchor ca server-cert`, not yet
  // followed by a SIGHUP): serve that one rather than overwrite it, unless it is due too; its
  // names are the operator's latest word either way.
  Result<crypto::Certificate> on_disk = crypto::LoadCertificateFile(home_.paths().server_crt);
  if (on_disk && on_disk->Sha256Fingerprint() != old.Sha256Fingerprint() &&
      clock_.Now() < home::RenewalDue(on_disk->NotBefore(), on_disk->NotAfter()) &&
      CheckServed(home_, clock_.Now()) && https_->ReloadTls(tls_options_)) {
    logger_.Write(log::Level::kInfo, "server.crt was replaced (serial " + old.SerialHex() + " -> " +
                                         on_disk->SerialHex() + ", valid until " +
                                         Iso8601(on_disk->NotAfter()) + "); serving it");
    served_ = std::move(on_disk).value();
    server_failures_ = 0;
    server_due_ = home::RenewalDue(served_->NotBefore(), served_->NotAfter());
    RevokeReplaced(old);
    return;
  }
  Result<crypto::Certificate> issued = home::IssueServerCertificate(
      *held, *g->authority, home_.paths(), home::ServerNamesOf(on_disk ? *on_disk : old),
      home::ServerCertificateDays(g->config));
  Status loaded = issued ? https_->ReloadTls(tls_options_) : Status(issued.error());
  if (!loaded) {
    ++server_failures_;
    const auto delay = home::RetryDelay(server_failures_, old.NotAfter() - clock_.Now());
    if (server_failures_ == 1) {
      logger_.WriteLimited(
          kServerRenewalFailed, log::Level::kError,
          "cannot renew the server certificate (" + Until(old) + "): " + loaded.error().message() +
              "; it keeps serving, and renewal is retried with back-off (first in " +
              std::to_string(delay.count()) + " s)");
    }
    server_due_ = clock_.Now() + delay;
    return;
  }
  const std::string after =
      server_failures_ > 0 ? " (after " + std::to_string(server_failures_) + " failed attempts)"
                           : "";
  logger_.Write(log::Level::kInfo, "renewed the server certificate: serial " + old.SerialHex() +
                                       " -> " + issued->SerialHex() + ", valid until " +
                                       Iso8601(issued->NotAfter()) + after);
  server_failures_ = 0;
  served_ = std::move(issued).value();
  server_due_ = home::RenewalDue(served_->NotBefore(), served_->NotAfter());
  RevokeReplaced(old);
}

void ServeLifecycle::RenewOcspSigner() {
  const std::shared_ptr<const ServingGeneration> g = Current();
  const crypto::Certificate old = g->delegated->cert;
  Result<FileLock> held = home::LockOwnCertificates(home_.paths());
  Result<home::OcspSigner> renewed =
      held ? home::RenewOcspSigner(*held, *g->authority, home_.paths(), old)
           : Result<home::OcspSigner>(held.error());
  Result<std::shared_ptr<ServingGeneration>> next =
      renewed ? Build(g->config, g->factory, *renewed)
              : Result<std::shared_ptr<ServingGeneration>>(renewed.error());
  if (!next) {
    ++ocsp_failures_;
    const auto delay = home::RetryDelay(ocsp_failures_, old.NotAfter() - clock_.Now());
    if (ocsp_failures_ == 1) {
      logger_.WriteLimited(kOcspRenewalFailed, log::Level::kError,
                           "cannot renew the OCSP signer (" + Until(old) +
                               "): " + next.error().message() +
                               "; it keeps signing, and renewal is retried with back-off");
    }
    ocsp_due_ = clock_.Now() + delay;
    return;
  }
  Switch(*next);
  logger_.Write(log::Level::kInfo, "renewed the OCSP signer: serial " + old.SerialHex() + " -> " +
                                       renewed->cert.SerialHex() + ", valid until " +
                                       Iso8601(renewed->cert.NotAfter()));
  ocsp_failures_ = 0;
  ocsp_due_ = home::RenewalDue(renewed->cert.NotBefore(), renewed->cert.NotAfter());
}

void ServeLifecycle::RevokeReplaced(const crypto::Certificate& replaced) {
  if (served_ && replaced.Sha256Fingerprint() == served_->Sha256Fingerprint()) {
    return;
  }
  // RFC 5280 5.3.1: superseded (4), "the certificate has been superseded". Revoked once no new
  // handshake presents it; connections opened with it keep working (TLS does not re-check), and
  // `anchor list` shows it revoked rather than one more valid server certificate.
  constexpr int kSuperseded = 4;
  if (auto revoked = Current()->authority->Revoke(replaced.SerialHex(), kSuperseded); !revoked) {
    logger_.Write(log::Level::kError, "could not revoke the replaced server certificate (serial " +
                                          replaced.SerialHex() + "): " + revoked.error().message());
    return;
  }
  logger_.Write(log::Level::kInfo, "revoked the replaced server certificate (serial " +
                                       replaced.SerialHex() + ", superseded)");
}

void ServeLifecycle::Reload() {
  const std::shared_ptr<const ServingGeneration> g = Current();
  std::vector<std::string> applied;
  std::vector<std::string> kept;
  std::vector<std::string> restart;
  // anchor.toml: each failure is one line naming the file and the key; the previous settings stay.
  ca::CaConfig config = g->config;
  ca::FactoryTrust factory = g->factory;
  std::vector<std::string> changed;
  // The intermediates first: the generation built below issues from what they are now.
  if (Result<std::string> taken = ReadIntermediates(); !taken) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + taken.error().message() + "; keeping the previous intermediates");
    kept.push_back("the intermediates");
  } else if (!taken->empty()) {
    applied.push_back(*taken);
  }
  if (Result<home::ConfigFile> file = home::LoadConfigFileToReload(home_.paths().config); !file) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + file.error().message() + "; keeping the previous settings");
    kept.push_back("anchor.toml");
  } else if (Result<ca::FactoryTrust> trust = home::LoadFactoryTrust(home_, file->ca.server);
             !trust) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + trust.error().message() + "; keeping the previous settings");
    kept.push_back("anchor.toml");
  } else {
    // The transport's keys are compared with what it started with: a changed one is only
    // reported, as needing a restart; the others apply now.
    for (const home::SettingChange& change :
         home::SettingChanges(home::ConfigFile{g->config, running_settings_}, *file)) {
      if (change.needs_restart) {
        restart.push_back(change.key);
      } else {
        changed.push_back(change.Describe());
      }
    }
    config = std::move(file->ca);
    factory = std::move(trust).value();
    applied.push_back(changed.empty() ? "anchor.toml (unchanged)"
                                      : "anchor.toml (" + Join(changed, ", ") + ")");
  }
  // The pairs are read while no writer replaces them (home::LockOwnCertificates).
  Result<FileLock> held = home::LockOwnCertificates(home_.paths());
  if (!held) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + held.error().message() + "; keeping the previous settings");
    return;
  }
  for (const std::string& warning : home::KeyFileWarnings(home_.paths())) {
    logger_.Write(log::Level::kWarning, warning);
  }
  std::optional<home::OcspSigner> delegated = g->delegated;
  if (auto signer = home::LoadOcspSigner(home_, clock_.Now()); !signer) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + signer.error().message() + "; keeping the previous OCSP signer");
    kept.push_back("the OCSP signer");
  } else {
    delegated = std::move(signer).value();
    applied.push_back(delegated ? "the OCSP signer (" + Until(delegated->cert) + ")"
                                : "OCSP signed by the intermediate");
  }
  Result<std::shared_ptr<ServingGeneration>> next = Build(config, factory, delegated);
  if (!next) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + next.error().message() + "; keeping the previous settings");
    return;
  }
  Switch(*next);
  // TLS: the certificate and key, and the client CAs the new factory trust names.
  TlsOptions(tls_options_);
  Result<crypto::Certificate> served = crypto::LoadCertificateFile(home_.paths().server_crt);
  if (Status checked = CheckServed(home_, clock_.Now()); served && !checked) {
    served = checked.error();
  }
  Status tls = served ? https_->ReloadTls(tls_options_) : Status(served.error());
  if (!tls) {
    logger_.Write(log::Level::kWarning,
                  "reload: " + tls.error().message() + "; keeping the previous TLS certificate");
    kept.push_back("the TLS certificate");
  } else {
    applied.push_back("the TLS certificate (" + Until(*served) + ")");
    const std::optional<crypto::Certificate> replaced = served_;
    served_ = std::move(served).value();
    server_failures_ = 0;
    if (replaced) {
      RevokeReplaced(*replaced);
    }
  }
  ocsp_failures_ = 0;
  Schedule();
  std::string line = "reloaded " + Join(applied, ", ");
  if (!kept.empty()) {
    line += "; kept the previous: " + Join(kept, ", ");
  }
  line +=
      "; a restart is needed for --listen, --http-listen, --threads, --tls-min and the "
      "transport keys of [server]";
  if (!restart.empty()) {
    line += " (changed, not applied: " + Join(restart, ", ") + ")";
  }
  logger_.Write(log::Level::kInfo, line);
}

}  // namespace anchor::cli
