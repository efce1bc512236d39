// SPDX-License-Identifier: Apache-2.0
// File: serve_cmd.cc: `anchor serve`: the online CA over HTTPS (EST, OCSP, CRL, admin API).
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>

#include "api/ca_gauges.h"
#include "ca/generation.h"
#include "cli/context.h"
#include "cli/early_hangup.h"
#include "cli/request_log.h"
#include "cli/serve_generations.h"
#include "cli/serve_lifecycle.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "core/file_lock.h"
#include "core/log.h"
#include "core/text.h"
#include "home/own_certificates.h"
#include "server/https_server.h"
#include "server/router.h"

namespace anchor::cli {
namespace {

// ParseListen splits "ADDRESS:PORT" ("[::1]:8443" for IPv6). Its errors do not name the flag:
// ListenAddress runs it while the command line is parsed, and CLI11 puts the flag in front.
Status ParseListen(const std::string& listen, std::string& address, uint16_t& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Error(Code::kInvalidArgument,
                 "'" + listen + "' is not ADDRESS:PORT; write e.g. 127.0.0.1:8443 or [::1]:0");
  }
  address = listen.substr(0, colon);
  if (address.size() > 2 && address.front() == '[') {
    address = address.substr(1, address.size() - 2);
  }
  try {
    const unsigned long value = std::stoul(listen.substr(colon + 1));
    if (value > 65535) {
      throw std::out_of_range("port");
    }
    port = static_cast<uint16_t>(value);
  } catch (const std::exception&) {
    return Error(Code::kInvalidArgument, "'" + listen + "' has no valid port (0 to 65535)");
  }
  return OkStatus();
}

// RouteOf is the route label of `request` for the metrics and the log: one of
// api::Metrics::kRoutes, "metrics_listener" for anything asked of the metrics listener (so that
// the main listener's routes count only its own requests), empty for a request that could not
// be read.
std::string_view RouteOf(const http::Request& request) {
  if (request.metrics_only) {
    return api::Metrics::kMetricsListenerRoute;
  }
  return request.target.empty() ? std::string_view() : server::Router::RouteLabel(request.Path());
}

// ListenAddress makes a malformed --listen or --http-listen a usage error (exit 2).
CLI::Validator ListenAddress() {
  return command_line::ParsedBy("ADDRESS:PORT", [](const std::string& listen) {
    std::string address;
    uint16_t port = 0;
    return ParseListen(listen, address, port);
  });
}

}  // namespace

void RegisterServe(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string listen = "127.0.0.1:8443";
    std::string tls_min = "1.3";
    std::string http_listen;
    std::string metrics_listen;
    std::string log_format = "text";
    int threads = -1;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "serve EST enrollment, OCSP, the CRL, the revocation feed and the admin API");
  cmd->add_option("--listen", o->listen, "ADDRESS:PORT (default 127.0.0.1:8443; port 0: any)")
      ->check(ListenAddress());
  cmd->add_option("--http-listen", o->http_listen,
                  "also serve OCSP, the CRL and intermediate.crt over plain HTTP here (for http:// "
                  "CDP/AIA URLs); nothing else is served without TLS")
      ->check(ListenAddress());
  cmd->add_option("--metrics-listen", o->metrics_listen,
                  "serve /metrics alone over plain HTTP here, for scrapers without the admin "
                  "certificate (default: [server] metrics_listen; none)")
      ->check(ListenAddress());
  cmd->add_option("--log-format", o->log_format,
                  "text (default) or json (one object per line): one line per request on stderr")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--tls-min", o->tls_min, "1.3 (default) or 1.2")
      ->check(CLI::IsMember({"1.2", "1.3"}));
  cmd->add_option("--threads", o->threads, "server threads (default: [server] threads, 0 = cores)")
      ->check(CLI::Range(0, 256));
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      CatchEarlyHangup();  // before the keys are read: a SIGHUP now is a reload once serving
      server::ServerOptions opts;
      ANCHOR_TRY(ParseListen(o->listen, opts.address, opts.port));
      if (!o->http_listen.empty()) {
        uint16_t plain = 0;
        ANCHOR_TRY(ParseListen(o->http_listen, opts.plain_address, plain));
        opts.plain_port = plain;
      }
      ANCHOR_ASSIGN_OR_RETURN(const log::Format log_format, log::ParseFormat(o->log_format));
      // Held while serving, before the home is opened: `anchor store migrate` refuses to run
      // beside a serve, and a serve started during a migration waits and opens the moved store.
      // Not in a directory that holds no CA: OpenCa says so, and no lock file is left there.
      const home::CaPaths paths = home::CaPaths::In(ctx.Home());
      std::optional<FileLock> serving;
      if (FileExists(paths.config)) {
        ANCHOR_ASSIGN_OR_RETURN(serving, home::HoldServing(paths));
      }
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* passphrase, ctx.Passphrase());
      api::Metrics metrics;
      // One logger for every line of the process on stderr: requests, renewals, reloads, the
      // transport's notices; stdout has the start-up lines, for people and scripts.
      log::Logger logger("anchor serve", log_format);
      // The lifecycle answers requests (a generation per reading of anchor.toml), renews the
      // server certificate and the OCSP signer, and reloads on SIGHUP.
      ANCHOR_ASSIGN_OR_RETURN(
          std::unique_ptr<ServeLifecycle> lifecycle,
          ServeLifecycle::Create(*home, passphrase, ctx.clock(), ctx.rng(), metrics, logger));
      // Feed waiters learn of the revocations other processes commit: the other replicas
      // (PostgreSQL LISTEN/NOTIFY) or an offline `anchor revoke` (SQLite, looked for 4 times a
      // second). Declared before the server, so it outlives every waiting request.
      ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::RevocationWatch> revocation_watch,
                              home->store().WatchRevocations());
      // Whether other processes' revocations reach feed waiters now: said when it changes (a
      // replica's LISTEN connection lost with the database, and back).
      const ChangeSignal::Subscription watch_log = home->store().revocations().Subscribe(
          [&logger, &store = home->store(),
           live = std::make_shared<std::atomic<bool>>(home->store().revocations().live())] {
            const bool now = store.revocations().live();
            if (live->exchange(now) != now) {
              logger.Write(now ? log::Level::kInfo : log::Level::kWarning,
                           now ? "sees the revocations of other processes again (replicas, "
                                 "anchor revoke): feed waiters are answered as they commit"
                               : "cannot see the revocations of other processes now (the "
                                 "database connection was lost): the feed answers at once, so "
                                 "that brokers poll, until it can");
            }
          });
      lifecycle->TlsOptions(opts);
      opts.allow_tls12 = o->tls_min == "1.2";
      opts.Apply(home->server_settings());
      if (o->threads >= 0) {
        opts.threads = o->threads;  // --threads over [server] threads
      }
      const std::string metrics_listen =
          o->metrics_listen.empty() ? home->server_settings().metrics_listen : o->metrics_listen;
      if (!metrics_listen.empty()) {
        uint16_t port = 0;
        // --metrics-listen was checked while parsing (ListenAddress); anchor.toml's is read here.
        if (const Status st = ParseListen(metrics_listen, opts.metrics_address, port); !st) {
          return Error(Code::kInvalidArgument, "[server] metrics_listen: " + st.error().message());
        }
        opts.metrics_port = port;
      }
      opts.metrics = &metrics;
      // What /metrics reads at each scrape: the CA's own certificates from their files (a
      // renewal or a rotation shows), certificates by status from the store (offline sign and
      // revoke show).
      metrics.AddScrapeSource(api::CaGauges(
          home->store(), ctx.clock(), [&lifecycle] { return lifecycle->Current()->watched; }));
      RequestLog request_log(logger);
      opts.logger = &logger;
      opts.on_answer = [&metrics, &request_log](const server::AnswerRecord& r) {
        const std::string_view route = RouteOf(r.request);
        // A request that could not be read has no route: counted as "other", logged as "-".
        metrics.ObserveRequest(route.empty() ? "other" : route, r.response.status, r.latency);
        request_log.Record(r, route.empty() ? "-" : route);
      };
      ANCHOR_ASSIGN_OR_RETURN(
          auto https,
          server::HttpsServer::Create(
              opts, [&lifecycle](const http::Request& r) { return lifecycle->Dispatch(r); },
              server::Router::Blocks));
      std::printf("anchor serve: listening on https://%s:%u (TLS >= %s, %zu threads)\n",
                  opts.address.c_str(), static_cast<unsigned>(https->port()), o->tls_min.c_str(),
                  https->threads());
      const std::string& store_url = home->store_settings().url;
      std::printf("anchor serve: records in %s\n",
                  store_url.empty() ? ("SQLite " + home->paths().db).c_str()
                                    : ("PostgreSQL " + Printable(store_url)).c_str());
      std::printf("anchor serve: OCSP signed by %s\n",
                  lifecycle->Current()->OcspSignerSubject().c_str());
      for (const ca::Generation& g : home->retired()) {
        std::printf(
            "anchor serve: retired intermediate generation %d (%s) answers OCSP and %s "
            "until %s\n",
            g.number, g.cert.CommonName().c_str(), ca::CrlPath(g.number).c_str(),
            Iso8601(g.cert.NotAfter()).c_str());
      }
      if (auto plain = https->plain_port()) {
        std::printf("anchor serve: OCSP and CRL also on http://%s:%u\n", opts.plain_address.c_str(),
                    static_cast<unsigned>(*plain));
      }
      if (auto port = https->metrics_port()) {
        std::printf("anchor serve: metrics on http://%s:%u/metrics\n", opts.metrics_address.c_str(),
                    static_cast<unsigned>(*port));
      }
      std::fflush(stdout);
      lifecycle->Start(*https, opts);
      if (EarlyHangupCaught()) {
        lifecycle->Hangup();
      }
      https->Run([&lifecycle] { lifecycle->Hangup(); });
      lifecycle->Stop();
      logger.FlushSummaries();
      if (!ctx.quiet) {
        logger.Write(log::Level::kInfo, "stopped");
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
