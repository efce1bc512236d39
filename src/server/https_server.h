// SPDX-License-Identifier: Apache-2.0
// File: https_server.h: the HTTPS listener: TLS policy, limits, sessions, graceful shutdown.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "http/http_message.h"

namespace anchor::server {

// ServerOptions are the transport's policy. Defaults follow DESIGN.md: TLS 1.3 only, client
// certificates requested (not required) and verified against `client_ca_file`.
struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8443;  // 0: any free port (see `HttpsServer::port`)
  std::string cert_chain_file;
  std::string key_file;
  std::string client_ca_file;
  bool allow_tls12 = false;
  size_t max_body_bytes = 64 * 1024;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
};

using Handler = std::function<http::Response(const http::Request&)>;

// HttpsServer serves `handler` over HTTPS/1.1 with keep-alive on one thread.
class HttpsServer final {
 public:
  // Create loads the certificate, key and client CA and binds the listening socket; errors name
  // the file or address.
  static Result<std::unique_ptr<HttpsServer>> Create(const ServerOptions& options, Handler handler);
  ~HttpsServer();

  uint16_t port() const;
  // Run serves until SIGINT or SIGTERM: then it stops accepting, lets requests in flight finish,
  // and returns.
  void Run();

 private:
  struct Impl;
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace anchor::server
