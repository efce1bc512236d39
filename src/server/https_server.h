// SPDX-License-Identifier: Apache-2.0
// File: https_server.h: the HTTPS listener: TLS policy, limits, sessions, graceful shutdown.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/metrics.h"
#include "core/error.h"
#include "core/log.h"
#include "http/http_message.h"
#include "server/server_settings.h"

namespace anchor::server {

// AnswerRecord is what the transport knows of one answered request, handed to
// `ServerOptions::on_answer` once the answer is written: the request log and the per-route
// metrics are made of it above this layer, which decides nothing about what it means.
struct AnswerRecord {
  std::string request_id;  // also sent to the client as X-Request-Id
  std::string remote;      // the client's address
  // request is the request as the handlers saw it (method, target, peer chain); for a request
  // refused before it was read whole, only `method` and `target` are set ("" when unreadable).
  const http::Request& request;
  const http::Response& response;
  std::chrono::nanoseconds latency;  // from the request's first byte to the answer written
};

// ServerOptions are the transport's policy. Defaults follow DESIGN.md: TLS 1.3 only, client
// certificates requested (not required) and verified against `client_ca_file`; the limits'
// defaults are ServerSettings'.
struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8443;  // 0: any free port (see `HttpsServer::port`)
  std::string cert_chain_file;
  std::string key_file;
  std::string client_ca_file;
  // extra_client_ca_files are further PEM files of certificates that client chains may use: the
  // issuing intermediate (so a client sending only its leaf verifies), factory CAs.
  std::vector<std::string> extra_client_ca_files;
  bool allow_tls12 = false;
  size_t max_body_bytes = 64 * 1024;
  // handshake_timeout bounds the TLS handshake, header_timeout the wait for a request and its
  // reading, idle_timeout the wait between kept-alive requests.
  std::chrono::seconds handshake_timeout{5};
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
  // plain_port, when set, also listens for plain HTTP on `plain_address`: requests there are
  // marked not secure, and the handler serves only what is signed anyway (OCSP, CRLs), as
  // certificates' http:// CDP and AIA URLs expect.
  std::string plain_address = "127.0.0.1";
  std::optional<uint16_t> plain_port;
  int threads = 0;  // io_context threads; 0: one per core
  // workers run the requests the `Blocking` predicate names (signing, waiting for a commit), off
  // the io threads; 0: four per core, at least 16. Concurrent enrollments share a commit, so
  // more workers than cores let a group form while one fsync is under way.
  int workers = 0;
  // max_connections bounds open connections (lowered at start to fit RLIMIT_NOFILE); when it is
  // reached, the connection idle the longest is closed for a new one, and without an idle one
  // the new one is refused. max_handshakes (at most half of max_connections) bounds those still
  // in their TLS handshake: beyond it, the oldest handshake of an address holding more than
  // handshake_share_per_address (IPv6: per /64) gives way, else the oldest handshake. See
  // ConnectionTable.
  int max_connections = 1024;
  int max_handshakes = 256;
  int handshake_share_per_address = 32;
  // metrics_port, when set, listens for plain HTTP on `metrics_address` for scrapers: requests
  // there are marked `metrics_only`, and the handler serves /metrics alone on it.
  std::string metrics_address = "127.0.0.1";
  std::optional<uint16_t> metrics_port;
  api::Metrics* metrics = nullptr;  // optional: connection and handshake counters
  // logger, when set, writes the transport's notices (max_connections lowered to fit
  // RLIMIT_NOFILE, accepting paused for want of descriptors, a failed `on_answer`) and, without
  // `on_answer`, the lines of answers of 400 or more; without it they are text lines on stderr.
  // It must outlive the server.
  log::Logger* logger = nullptr;
  // on_answer, when set, is called once per answered request (every status) from the thread that
  // wrote the answer; without it, answers of 400 or more are logged (`logger`).
  std::function<void(const AnswerRecord&)> on_answer;

  // Apply takes the limits an operator set in anchor.toml's [server] table: threads, connection
  // and handshake budgets, the body limit and the timeouts.
  void Apply(const ServerSettings& settings);
};

using Handler = std::function<http::Response(const http::Request&)>;
// Blocking says which requests the handler may take long to answer (it signs, or waits for a
// durable commit); those run on the worker threads, never on an io thread.
using Blocking = std::function<bool(const http::Request&)>;

// HttpsServer serves `handler` over HTTPS/1.1 with keep-alive, one io_context per thread;
// `handler` is called from all of them, and from the worker threads for requests `blocking`
// names, so that handshakes and quick answers never wait behind a slow one. Each answer of 400 or
// more is logged on stderr, one line with the client's address, the request and the reason (for a
// 5xx, `Response::log`).
class HttpsServer final {
 public:
  // Create loads the certificate, key and client CA and binds the listening socket; errors name
  // the file or address.
  static Result<std::unique_ptr<HttpsServer>> Create(const ServerOptions& options, Handler handler,
                                                     Blocking blocking = nullptr);
  ~HttpsServer();

  uint16_t port() const;
  std::optional<uint16_t> plain_port() const;
  std::optional<uint16_t> metrics_port() const;
  size_t threads() const;
  // ReloadTls builds a new TLS context from the certificate chain, key and client CA files of
  // `options` (the rest of `options` is not read) and makes new handshakes use it; connections
  // already open keep the one they started with. On error (naming the file) nothing changes.
  // Safe to call from any thread while Run serves.
  Status ReloadTls(const ServerOptions& options);
  // Run serves until SIGINT or SIGTERM: then it stops accepting, lets requests in flight finish,
  // and returns. Each SIGHUP calls `on_hangup` (on an io thread: it must return quickly) and
  // changes nothing else; SIGHUP is caught from Create on, so it never ends the process.
  void Run(const std::function<void()>& on_hangup = {});

 private:
  struct Impl;
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace anchor::server
