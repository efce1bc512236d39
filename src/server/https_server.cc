// SPDX-License-Identifier: Apache-2.0
// File: https_server.cc: Asio/Beast coroutines: accept, TLS handshake, read, dispatch, write.
#include "server/https_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <array>
#include <atomic>

namespace anchor::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

http::Request ToRequest(const bhttp::request<bhttp::string_body>& in) {
  http::Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& field : in) {
    out.headers[std::string(field.name_string())] = std::string(field.value());
  }
  out.body = in.body();
  return out;
}

bhttp::response<bhttp::string_body> ToBeast(const http::Response& in, unsigned version,
                                            bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(in.status), version};
  out.set(bhttp::field::server, "anchor");
  out.set(bhttp::field::content_type, in.content_type);
  for (const auto& [name, value] : in.headers) {
    out.set(name, value);
  }
  out.body() = in.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace

struct HttpsServer::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context ioc{1};
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::atomic<int> in_flight{0};

  Status ConfigureTls() {
    SSL_CTX* ctx = tls.native_handle();
    //= DESIGN.md: TLS 1.3 by default, 1.2 only when asked.
    ::SSL_CTX_set_min_proto_version(ctx, options.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    boost::system::error_code ec;
    tls.use_certificate_chain_file(options.cert_chain_file, ec);
    if (ec) {
      return Error(Code::kInvalidArgument, options.cert_chain_file + ": " + ec.message());
    }
    tls.use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return Error(Code::kInvalidArgument, options.key_file + ": " + ec.message());
    }
    tls.load_verify_file(options.client_ca_file, ec);
    if (ec) {
      return Error(Code::kInvalidArgument, options.client_ca_file + ": " + ec.message());
    }
    // Requested, not required: each endpoint decides whether it needs a client certificate.
    tls.set_verify_mode(asio::ssl::verify_peer);
    return OkStatus();
  }

  Status Listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) {
      return Error(Code::kInvalidArgument, "'" + options.address + "' is not an IP address");
    }
    const tcp::endpoint endpoint{address, options.port};
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Error(Code::kUnavailable,
                   "cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                       ec.message());
    }
    return OkStatus();
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    beast::get_lowest_layer(stream).expires_after(options.header_timeout);
    auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (hs_ec) {
      co_return;  // a failed handshake costs this connection only
    }
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
      beast::get_lowest_layer(stream).expires_after(first ? options.header_timeout
                                                          : options.idle_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(16 * 1024);
      auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
      if (read_ec == bhttp::error::body_limit) {
        auto res = ToBeast(http::Response{413, "text/plain", {}, "the request body is too large\n"},
                           11, false);
        co_await bhttp::async_write(stream, res, kNoThrow);
        // Closing with unread request bytes makes the kernel send a reset, and the client would
        // lose the 413. Read and drop what it is still sending, bounded in bytes and time.
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        std::array<char, 16384> sink;
        for (size_t drained = 0; drained < (1u << 20);) {
          auto [drain_ec, got] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
          if (drain_ec) {
            break;
          }
          drained += got;
        }
        break;
      }
      if (read_ec) {
        break;
      }
      beast::get_lowest_layer(stream).expires_after(options.header_timeout);
      ++in_flight;
      const auto& req = parser.get();
      const http::Response response = handler(ToRequest(req));
      auto res = ToBeast(response, req.version(), req.keep_alive());
      auto [write_ec, written] = co_await bhttp::async_write(stream, res, kNoThrow);
      --in_flight;
      if (write_ec || !res.keep_alive()) {
        break;
      }
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kNoThrow);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) {
        co_return;  // closed on shutdown
      }
      asio::co_spawn(ioc, Session(std::move(socket)), [](std::exception_ptr) {
        // Exceptions stop at this boundary (STYLE.md 4.5): one session, never the server.
      });
    }
  }
};

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsServer::~HttpsServer() = default;

Result<std::unique_ptr<HttpsServer>> HttpsServer::Create(const ServerOptions& options,
                                                         Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  ANCHOR_TRY(impl->ConfigureTls());
  ANCHOR_TRY(impl->Listen());
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

uint16_t HttpsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpsServer::Run() {
  Impl& s = *impl_;
  asio::signal_set signals(s.ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(s.ioc);
  std::function<void()> wait_for_drain = [&] {
    if (s.in_flight == 0) {
      s.ioc.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) { wait_for_drain(); });
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) {
      boost::system::error_code ignored;
      s.acceptor.close(ignored);
      wait_for_drain();
    }
  });
  asio::co_spawn(s.ioc, s.Accept(), asio::detached);
  s.ioc.run();
}

}  // namespace anchor::server
