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
#include <thread>

#include "crypto/certificate.h"

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
  asio::ssl::context tls{asio::ssl::context::tls_server};
  // One io_context per thread; the acceptor lives on the first and hands sockets round-robin.
  // Declared after `tls` so that sessions, destroyed with their io_context, go first.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<tcp::acceptor> plain_acceptor;  // optional: plain HTTP for OCSP and CRLs
  std::atomic<int> in_flight{0};
  api::Metrics fallback_metrics;  // when the caller passes none
  // The open-connection gauge is also the count that max_connections bounds.
  api::Metrics* metrics = &fallback_metrics;

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
    std::vector<std::string> ca_files = {options.client_ca_file};
    ca_files.insert(ca_files.end(), options.extra_client_ca_files.begin(),
                    options.extra_client_ca_files.end());
    for (const std::string& file : ca_files) {
      tls.load_verify_file(file, ec);
      if (ec) {
        return Error(Code::kInvalidArgument, file + ": " + ec.message());
      }
    }
    // Requested, not required: each endpoint decides whether it needs a client certificate.
    tls.set_verify_mode(asio::ssl::verify_peer);
    // Clients reconnect often (renewal, the feed): TLS 1.3 stateless tickets let them resume
    // without a server-side session cache (no lock, no memory per client); one ticket is
    // enough for a client that reconnects once at a time.
    ::SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    ::SSL_CTX_set_num_tickets(ctx, 1);
    return OkStatus();
  }

  Result<std::unique_ptr<tcp::acceptor>> Listen(const std::string& host, uint16_t port) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) {
      return Error(Code::kInvalidArgument, "'" + host + "' is not an IP address");
    }
    const tcp::endpoint endpoint{address, port};
    auto out = std::make_unique<tcp::acceptor>(*iocs.front());
    out->open(endpoint.protocol(), ec);
    if (!ec) {
      out->set_option(asio::socket_base::reuse_address(true), ec);
      out->bind(endpoint, ec);
    }
    if (!ec) {
      out->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Error(Code::kUnavailable, "cannot listen on " + host + ":" + std::to_string(port) +
                                           ": " + ec.message());
    }
    return out;
  }

  // PeerChain is the client's chain as TLS verified it, DER, leaf first; empty without one.
  static std::vector<std::vector<uint8_t>> PeerChain(SSL* ssl) {
    std::vector<std::vector<uint8_t>> out;
    STACK_OF(X509)* chain = ::SSL_get0_verified_chain(ssl);
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
      out.push_back(crypto::Certificate::Borrow(sk_X509_value(chain, i)).ToDer());
    }
    return out;
  }

  template <typename Stream>
  asio::awaitable<void> DrainAfter413(Stream& stream) {
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
  }

  // Exchange reads requests and writes answers on an established stream (TLS or plain) until
  // the client closes, a limit is hit, or the client asks to close.
  template <typename Stream>
  asio::awaitable<void> Exchange(Stream& stream, const std::vector<std::vector<uint8_t>>& peer_chain,
                                 bool secure) {
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
      if (!first && buffer.size() == 0) {
        // Between requests a client may stay silent for the idle timeout; once the next
        // request's first byte arrives, the header timeout applies as it did to the first.
        beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
        auto [idle_ec, got] = co_await stream.async_read_some(buffer.prepare(4096), kNoThrow);
        if (idle_ec) {
          co_return;
        }
        buffer.commit(got);
      }
      // The timer covers the whole request (the first one: with the handshake): a client that
      // trickles bytes (slowloris) is cut off when it runs out, whatever it has sent.
      beast::get_lowest_layer(stream).expires_after(options.header_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(16 * 1024);
      auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
      if (read_ec == bhttp::error::body_limit) {
        auto res = ToBeast(http::Response{413, "text/plain", {}, "the request body is too large\n"},
                           11, false);
        co_await bhttp::async_write(stream, res, kNoThrow);
        co_await DrainAfter413(stream);
        co_return;
      }
      if (read_ec) {
        co_return;
      }
      beast::get_lowest_layer(stream).expires_after(options.header_timeout);
      ++in_flight;
      const auto& req = parser.get();
      http::Request request = ToRequest(req);
      request.peer_chain = peer_chain;
      request.secure = secure;
      const http::Response response = handler(request);
      auto res = ToBeast(response, req.version(), req.keep_alive());
      auto [write_ec, written] = co_await bhttp::async_write(stream, res, kNoThrow);
      --in_flight;
      if (write_ec || !res.keep_alive()) {
        co_return;
      }
    }
  }

  asio::awaitable<void> TlsSession(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    beast::get_lowest_layer(stream).expires_after(options.header_timeout);
    auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (hs_ec) {
      metrics->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      co_return;  // a failed handshake costs this connection only
    }
    co_await Exchange(stream, PeerChain(stream.native_handle()), /*secure=*/true);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kNoThrow);
  }

  asio::awaitable<void> PlainSession(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await Exchange(stream, {}, /*secure=*/false);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> Accept(tcp::acceptor& acceptor, bool secure) {
    for (size_t next = 0;; ++next) {
      asio::io_context& ioc = *iocs[next % iocs.size()];
      auto [ec, socket] = co_await acceptor.async_accept(ioc, kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
          co_return;  // closed on shutdown
        }
        continue;  // e.g. EMFILE: this connection is lost, the listener is not
      }
      if (metrics->open_connections.load() >= options.max_connections) {
        metrics->connections_refused.fetch_add(1, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket.close(ignored);  // over the limit: refuse at once rather than queue
        continue;
      }
      // Small writes (session tickets, then the response) must not wait for ACKs (Nagle +
      // delayed ACK costs up to 40 ms per new connection).
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      metrics->open_connections.fetch_add(1, std::memory_order_relaxed);
      auto session = secure ? TlsSession(std::move(socket)) : PlainSession(std::move(socket));
      asio::co_spawn(ioc, std::move(session), [this](std::exception_ptr) {
        // Exceptions stop at this boundary (STYLE.md 4.5): one session, never the server.
        metrics->open_connections.fetch_sub(1, std::memory_order_relaxed);
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
  if (options.metrics != nullptr) {
    impl->metrics = options.metrics;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads) : cores;
  for (size_t i = 0; i < threads; ++i) {
    impl->iocs.push_back(std::make_unique<asio::io_context>(1));
  }
  ANCHOR_TRY(impl->ConfigureTls());
  ANCHOR_ASSIGN_OR_RETURN(impl->acceptor, impl->Listen(options.address, options.port));
  if (options.plain_port) {
    ANCHOR_ASSIGN_OR_RETURN(impl->plain_acceptor,
                            impl->Listen(options.plain_address, *options.plain_port));
  }
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

uint16_t HttpsServer::port() const { return impl_->acceptor->local_endpoint().port(); }

std::optional<uint16_t> HttpsServer::plain_port() const {
  if (!impl_->plain_acceptor) {
    return std::nullopt;
  }
  return impl_->plain_acceptor->local_endpoint().port();
}

size_t HttpsServer::threads() const { return impl_->iocs.size(); }

void HttpsServer::Run() {
  Impl& s = *impl_;
  asio::io_context& main = *s.iocs.front();
  asio::signal_set signals(main, SIGINT, SIGTERM);
  asio::steady_timer drain(main);
  std::function<void()> wait_for_drain = [&] {
    if (s.in_flight == 0) {
      for (auto& ioc : s.iocs) {
        ioc->stop();
      }
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) { wait_for_drain(); });
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) {
      boost::system::error_code ignored;
      s.acceptor->close(ignored);
      if (s.plain_acceptor) {
        s.plain_acceptor->close(ignored);
      }
      wait_for_drain();
    }
  });
  asio::co_spawn(main, s.Accept(*s.acceptor, /*secure=*/true), asio::detached);
  if (s.plain_acceptor) {
    asio::co_spawn(main, s.Accept(*s.plain_acceptor, /*secure=*/false), asio::detached);
  }
  std::vector<std::thread> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (size_t i = 1; i < s.iocs.size(); ++i) {
    guards.push_back(asio::make_work_guard(*s.iocs[i]));
    workers.emplace_back([ioc = s.iocs[i].get()] { ioc->run(); });
  }
  main.run();
  for (auto& ioc : s.iocs) {
    ioc->stop();
  }
  for (std::thread& t : workers) {
    t.join();
  }
}

}  // namespace anchor::server
