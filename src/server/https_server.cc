// SPDX-License-Identifier: Apache-2.0
// File: https_server.cc: Asio/Beast coroutines: accept, TLS handshake, read, dispatch, write.
#include "server/https_server.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "core/log.h"
#include "core/text.h"
#include "crypto/certificate.h"
#include "crypto/internal/handles.h"  // the TLS session's own certificates, shared
#include "http/header_fields.h"
#include "http/request_checks.h"
#include "server/connection_table.h"

namespace anchor::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// kFdReserve is what the process keeps beyond the descriptors open at start, for files it opens
// later (SQLite's journal and temporary files, the CRL, certificates read per request).
constexpr size_t kFdReserve = 32;
// kAcceptPause is how long accepting stops when the process or the system is out of descriptors:
// the pending connection stays queued, and retrying at once would only spin.
constexpr std::chrono::milliseconds kAcceptPause{100};

// VerifyClientChain is OpenSSL's verify callback for client chains. It lets through a chain whose
// only fault is an expired leaf: the request then carries `peer_expired`, and the router refuses
// it everywhere but simplereenroll, where the renewal grace period applies and a certificate
// expired beyond it gets a 401 that says so, rather than a TLS alert that says nothing. Any other
// fault (expired intermediate or root, unknown issuer, bad signature, not yet valid) fails the
// handshake as before; OpenSSL calls back once per fault, so one more fails the chain.
int VerifyClientChain(int preverify_ok, X509_STORE_CTX* ctx) {
  if (preverify_ok == 1) {
    return 1;
  }
  const int error = ::X509_STORE_CTX_get_error(ctx);
  return error == X509_V_ERR_CERT_HAS_EXPIRED && ::X509_STORE_CTX_get_error_depth(ctx) == 0 ? 1 : 0;
}

// AddressKey is the key that per-address limits count by: the IPv4 address (also when mapped
// into IPv6), or the /64 of an IPv6 address, the unit an ISP hands to one subscriber.
std::string AddressKey(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  if (address.is_v4()) {
    return address.to_string();
  }
  const auto bytes = address.to_v6().to_bytes();
  return HexEncode(std::span<const uint8_t>(bytes.data(), 8)) + "::/64";
}

// OpenDescriptors counts this process's open file descriptors.
size_t OpenDescriptors() {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// FitConnectionsToFdLimit raises the soft RLIMIT_NOFILE towards the hard one when
// `max_connections` needs it, and returns how many connections the limit leaves room for.
// Beyond it, accept would fail with EMFILE while the server believes it has room.
size_t FitConnectionsToFdLimit(size_t max_connections) {
  const size_t needed = OpenDescriptors() + kFdReserve + max_connections;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return max_connections;
  }
  if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, needed);
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  const size_t used = OpenDescriptors() + kFdReserve;
  return limit.rlim_cur > used ? std::min<size_t>(max_connections, limit.rlim_cur - used) : 0;
}

// IsFdExhaustion is true for accept errors that mean no descriptor (or no kernel memory) is left.
bool IsFdExhaustion(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE ||
         ec == asio::error::no_memory || ec == asio::error::no_buffer_space;
}

// JoinedField is every line of field `name` in `fields`, joined by ", " as RFC 9110 5.3 allows
// a recipient to combine them; nullopt when there is none.
template <typename Fields>
std::optional<std::string> JoinedField(const Fields& fields, bhttp::field name) {
  std::optional<std::string> out;
  const auto [first, last] = fields.equal_range(name);
  for (auto it = first; it != last; ++it) {
    out = out ? *out + ", " + std::string(it->value()) : std::string(it->value());
  }
  return out;
}

http::Request ToRequest(const bhttp::request<bhttp::string_body>& in) {
  http::Request out;
  out.method = std::string(in.method_string());
  out.target = http::OriginForm(in.target());
  for (const auto& field : in) {
    //= https://www.rfc-editor.org/rfc/rfc9110#section-5.3
    //# A recipient MAY combine multiple field lines within a field section that have the same
    //# field name into one field line, without changing the semantics of the message, by
    //# appending each subsequent field line value to the initial field line value in order,
    //# separated by a comma (",") and optional whitespace (OWS, defined in Section 5.6.3).
    std::string& value = out.headers[std::string(field.name_string())];
    value += (value.empty() ? "" : ", ") + std::string(field.value());
  }
  out.body = in.body();
  return out;
}

bhttp::response<bhttp::string_body> ToBeast(const http::Response& in, unsigned version,
                                            bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(in.status), version};
  out.set(bhttp::field::server, "anchor");
  out.set(bhttp::field::content_type, in.content_type);
  for (const auto& [name, value] : in.headers) {
    out.set(name, value);
  }
  out.body() = in.body;
  out.keep_alive(keep_alive && !in.close);
  out.prepare_payload();
  //= https://www.rfc-editor.org/rfc/rfc9110#section-9.3.2
  //# The HEAD method is identical to GET except that the server MUST NOT send content in the
  //# response.
  if (head) {
    out.body().clear();  // Content-Length stays that of the GET answer
  }
  return out;
}

// AnswerToReadError is the answer to a request Beast could not read, or nullopt when there is
// nobody to answer (the client closed, went silent past its deadline, or broke TLS).
// `request_line_read` tells a head too large for its fields from one too large for its first line.
// Each answer is an http::Refusal of an Error: its status is its code's (http::kStatuses).
std::optional<http::Response> AnswerToReadError(const beast::error_code& ec,
                                                bool request_line_read) {
  //= https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
  //# The server MAY terminate the request, if the protocol version in use allows it; otherwise,
  //# the server MAY close the connection.
  if (ec == bhttp::error::body_limit) {
    return http::Refusal(Error(Code::kContentTooLarge, "the request body is too large"));
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return http::HeadTooLarge(request_line_read);
  }
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category() ||
      ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec == bhttp::error::short_read) {
    return std::nullopt;
  }
  //= https://www.rfc-editor.org/rfc/rfc9112#section-2.2
  //# When a server listening only for HTTP request messages, or processing what appears from the
  //# start-line to be an HTTP request message, receives a sequence of octets that does not match
  //# the HTTP-message grammar aside from the robustness exceptions listed above, the server
  //# SHOULD respond with a 400 (Bad Request) response and close the connection.
  return http::Refusal(Error(Code::kInvalidArgument, "malformed request: " + ec.message()));
}

// IsExpect100 is true when the client waits for 100 (Continue) before it sends the body.
bool IsExpect100(const bhttp::request<bhttp::string_body>& req) {
  return req.version() >= 11 && ToLower(http::TrimOws(req[bhttp::field::expect])) == "100-continue";
}

// Connection is one accepted connection as the ConnectionTable and the session share it. Its
// fields other than `id` and `address` are touched only on the connection's own io_context
// thread: eviction is posted there, so it never races the session's coroutine.
struct Connection {
  ConnectionTable::Id id = 0;
  std::string address;
  std::function<void()> close;  // set while the session's stream lives
  bool busy = false;            // reading a request or answering it
  // waiting: its request is long-polled (http::LongPoll): busy, but holding nothing that a
  // close would lose (the client asks again), so it gives way as an idle connection does;
  // otherwise waiters that clients abandon could hold every slot.
  bool waiting = false;
  bool evicted = false;

  // Evict closes the connection now, or after the request in progress when it is busy.
  void Evict() {
    evicted = true;
    if ((!busy || waiting) && close) {
      close();
    }
  }
};

// StreamScope lends the session's stream to its Connection for as long as it lives.
class StreamScope {
 public:
  StreamScope(Connection& c, std::function<void()> close) : c_(c) { c_.close = std::move(close); }
  ~StreamScope() { c_.close = nullptr; }
  StreamScope(const StreamScope&) = delete;
  StreamScope& operator=(const StreamScope&) = delete;

 private:
  Connection& c_;
};

}  // namespace

struct HttpsServer::Impl {
  ServerOptions options;
  Handler handler;
  Blocking blocking;
  // tls is the context new handshakes use; ReloadTls switches it under `tls_mu`. A session
  // holds its own reference for its whole life, so a switch never touches one in flight.
  std::mutex tls_mu;
  std::shared_ptr<asio::ssl::context> tls;
  // Declared before `iocs`, as `tls`: sessions, destroyed with their io_context, go first.
  std::unique_ptr<ConnectionTable> table;
  // One io_context per thread; the acceptor lives on the first and hands sockets round-robin.
  // Declared after `tls` so that sessions, destroyed with their io_context, go first.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<tcp::acceptor> plain_acceptor;    // optional: plain HTTP for OCSP and CRLs
  std::unique_ptr<tcp::acceptor> metrics_acceptor;  // optional: plain HTTP for /metrics only
  // Request ids: this process's random prefix, then a sequence number.
  std::string id_prefix;
  std::atomic<uint64_t> next_request_id{0};
  // hangup is SIGHUP, caught from Create on (its default action ends the process); Run hands
  // each one to its `on_hangup`.
  std::unique_ptr<asio::signal_set> hangup;
  std::atomic<int> in_flight{0};
  // stopping is notified once, when Run is told to stop: long-polled requests answer at once.
  ChangeSignal stopping;
  api::Metrics fallback_metrics;  // when the caller passes none
  // The open-connection gauge counts what the table holds.
  api::Metrics* metrics = &fallback_metrics;
  // The transport's notices (max_connections lowered, accepting paused, a failed request log)
  // go to the caller's logger, so that they share its format; without one, to a text logger.
  std::unique_ptr<log::Logger> fallback_logger;
  log::Logger* logger = nullptr;
  // Declared last, so destroyed first: its destructor waits for the requests it runs, whose
  // coroutines live on the io_contexts.
  std::unique_ptr<asio::thread_pool> workers;

  // Notice writes one line of the transport's own.
  void Notice(log::Level level, const std::string& message) { logger->Write(level, message); }

  // CurrentTls is the context for a new handshake.
  std::shared_ptr<asio::ssl::context> CurrentTls() {
    const std::lock_guard lock(tls_mu);
    return tls;
  }

  // BuildTls makes a TLS context from the certificate, key and client CA files of `options`.
  static Result<std::shared_ptr<asio::ssl::context>> BuildTls(const ServerOptions& options) {
    auto out = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ANCHOR_TRY(ConfigureTls(*out, options));
    return out;
  }

  static Status ConfigureTls(asio::ssl::context& tls, const ServerOptions& options) {
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
    ::SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &VerifyClientChain);
    // Clients reconnect often (renewal, the feed): TLS 1.3 stateless tickets let them resume
    // without a server-side session cache (no lock, no memory per client); one ticket is
    // enough for a client that reconnects once at a time.
    ::SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    ::SSL_CTX_set_num_tickets(ctx, 1);
    // With client certificates requested, OpenSSL refuses to resume a session that has no
    // session id context (an internal_error alert: curl, browsers and Java clients that reuse
    // sessions failed on their second connection). The context names what the session was
    // verified for: this server's client CAs.
    static constexpr unsigned char kSessionContext[] = "anchor-serve";
    if (::SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1) != 1) {
      return Error(Code::kInternal, "cannot set the TLS session id context");
    }
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
      return Error(Code::kUnavailable,
                   "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    return out;
  }

  // FitLimits bounds max_connections by the descriptors the process may open, saying so when
  // it must lower it, and builds the connection table.
  Status FitLimits() {
    const auto wanted = static_cast<size_t>(options.max_connections);
    const size_t fit = FitConnectionsToFdLimit(wanted);
    if (fit == 0) {
      return Error(Code::kFailedPrecondition,
                   "the open-files limit (RLIMIT_NOFILE) leaves no room for connections; raise "
                   "it (ulimit -n, or LimitNOFILE= for a systemd service)");
    }
    if (fit < wanted) {
      Notice(log::Level::kWarning,
             "max_connections lowered from " + std::to_string(wanted) + " to " +
                 std::to_string(fit) + " to fit the open-files limit (RLIMIT_NOFILE); raise it " +
                 "(ulimit -n, or LimitNOFILE= for a systemd service) to allow more");
    }
    ConnectionLimits limits;
    limits.max_connections = fit;
    limits.max_handshakes = std::min(fit, static_cast<size_t>(options.max_handshakes));
    limits.handshake_share_per_address = static_cast<size_t>(options.handshake_share_per_address);
    table = std::make_unique<ConnectionTable>(limits);
    return OkStatus();
  }

  // PeerChain is the client's chain as TLS verified it, leaf first; empty without one. The
  // certificates are the session's own objects, shared (no copy, no parse).
  static std::vector<crypto::Certificate> PeerChain(SSL* ssl) {
    std::vector<crypto::Certificate> out;
    STACK_OF(X509)* chain = ::SSL_get0_verified_chain(ssl);
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
      out.push_back(crypto::internal::BorrowCertificate(sk_X509_value(chain, i)));
    }
    // A resumed session was verified at its full handshake and keeps only the leaf (a ticket
    // holds no chain): every handler identifies a client by its leaf, and a factory leaf under
    // an intermediate needs a full handshake (its chain is checked again).
    if (X509* leaf = ::SSL_get0_peer_certificate(ssl);
        out.empty() && leaf != nullptr && ::SSL_session_reused(ssl) == 1) {
      out.push_back(crypto::internal::BorrowCertificate(leaf));
    }
    return out;
  }

  // DrainBeforeClose reads and drops what the client is still sending after an answer that
  // ends the connection (413, 431, a refused framing): closing with unread bytes makes the
  // kernel send a reset, and the client would lose the answer. It ends when the client closes
  // (curl does once it has the answer), after a second without bytes (a client waiting for the
  // close), or at 1 MiB or 3 seconds in all.
  template <typename Stream>
  asio::awaitable<void> DrainBeforeClose(Stream& stream) {
    std::array<char, 16384> sink;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (size_t drained = 0; drained < (1u << 20) && std::chrono::steady_clock::now() < give_up;) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
      auto [drain_ec, got] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
      if (drain_ec) {
        break;
      }
      drained += got;
    }
  }

  // Dispatch calls the handler. An exception thrown by a handler is a fault of ours: kInternal,
  // so a 500 whose body says only "internal error" while the log says what was thrown, and the
  // server keeps serving.
  http::Response Dispatch(const http::Request& request) {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      return http::ErrorResponse(
          Error(Code::kInternal, std::string("the handler threw: ") + e.what()));
    }
  }

  // OnWorker dispatches `request` on a worker thread and resumes on the caller's io thread.
  asio::awaitable<http::Response> OnWorker(const http::Request& request) {
    co_return co_await asio::co_spawn(
        *workers,
        [this, &request]() -> asio::awaitable<http::Response> { co_return Dispatch(request); },
        asio::use_awaitable);
  }

  // Handle calls the handler: on a worker thread for what `blocking` names, else here.
  asio::awaitable<http::Response> Handle(const http::Request& request) {
    // Not a conditional expression: GCC 12 mishandles a co_await inside one (the temporary is
    // destroyed twice).
    if (blocking && blocking(request)) {
      co_return co_await OnWorker(request);
    }
    co_return Dispatch(request);
  }

  // AwaitChange holds a long-polled request (http::LongPoll) on its io thread, with no thread of
  // its own, until the signal moves past the version the handler saw (true), or `deadline`
  // passes, the server stops, or the client sends or closes anything (false: the handler must
  // answer now; to a client that left, the write fails and the connection ends at once rather
  // than holding its slot until the deadline). The wakers only post a cancel to this
  // coroutine's executor: on that single-threaded io_context it runs once the wait below has
  // started, so no wake is lost.
  asio::awaitable<bool> AwaitChange(const http::LongPoll& poll,
                                    std::chrono::steady_clock::time_point deadline,
                                    beast::tcp_stream& client) {
    const auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor, deadline);
    const auto wake = [timer, executor] { asio::post(executor, [timer] { timer->cancel(); }); };
    const ChangeSignal::Subscription changed = poll.signal->Subscribe(wake);
    const ChangeSignal::Subscription stopped = stopping.Subscribe(wake);
    auto client_spoke = std::make_shared<bool>(false);
    client.socket().async_wait(tcp::socket::wait_read,
                               [timer, client_spoke](boost::system::error_code ec) {
                                 if (ec != asio::error::operation_aborted) {
                                   *client_spoke = true;
                                   timer->cancel();
                                 }
                               });
    if (poll.signal->version() == poll.seen && stopping.version() == 0) {
      co_await timer->async_wait(kNoThrow);
    }
    boost::system::error_code ignored;
    client.socket().cancel(ignored);  // the read wait above, if the client said nothing
    co_return !*client_spoke && poll.signal->version() != poll.seen && stopping.version() == 0 &&
        std::chrono::steady_clock::now() < deadline;
  }

  // LogAnswer writes the one log line of an answer of 400 or more to `request` ("METHOD PATH").
  void LogAnswer(const Connection& conn, const std::string& request,
                 const http::Response& response) {
    if (response.status < 400) {
      return;
    }
    const std::string reason =
        response.log.empty() ? response.body.substr(0, response.body.find('\n')) : response.log;
    Notice(response.status >= 500 ? log::Level::kError : log::Level::kWarning,
           conn.address + " \"" + request.substr(0, 200) + "\" " + std::to_string(response.status) +
               ": " + reason);
  }

  // NextRequestId names one request in the log and to its client (X-Request-Id).
  std::string NextRequestId() {
    return id_prefix + "-" + std::to_string(next_request_id.fetch_add(1) + 1);
  }

  // Report hands the answer to `on_answer`, or without one logs an answer of 400 or more.
  void Report(const Connection& conn, const std::string& id,
              std::chrono::steady_clock::time_point started, const http::Request& request,
              const http::Response& response) {
    if (!options.on_answer) {
      LogAnswer(conn, request.method + " " + request.Path(), response);
      return;
    }
    try {
      options.on_answer(AnswerRecord{id, conn.address, request, response,
                                     std::chrono::steady_clock::now() - started});
    } catch (const std::exception& e) {
      Notice(log::Level::kError, std::string("the request log failed: ") + e.what());
    }
  }

  // Refuse writes an answer that ends the connection, then drains what the client still sends.
  // `seen` holds what could be read of the request (its method and target, if any).
  template <typename Stream>
  asio::awaitable<void> Refuse(Stream& stream, Connection& conn, const std::string& id,
                               std::chrono::steady_clock::time_point started,
                               const http::Request& seen, const http::Response& answer) {
    http::Response response = answer;
    response.headers.emplace_back("X-Request-Id", id);
    auto res = ToBeast(response, 11, /*keep_alive=*/false, /*head=*/false);
    beast::get_lowest_layer(stream).expires_after(options.header_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, res, kNoThrow);
    Report(conn, id, started, seen, response);
    if (!write_ec) {
      co_await DrainBeforeClose(stream);
    }
  }

  // AwaitRequest waits for the first byte of the next request: the connection is idle until
  // then, and may give way to a new one. False when the connection is over.
  template <typename Stream>
  asio::awaitable<bool> AwaitRequest(Stream& stream, Connection& conn, beast::flat_buffer& buffer,
                                     std::chrono::seconds timeout) {
    if (buffer.size() > 0) {
      co_return true;  // pipelined: the next request is already here
    }
    table->SetPhase(conn.id, ConnectionTable::Phase::kIdle);
    if (conn.evicted) {
      co_return false;
    }
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [ec, got] = co_await stream.async_read_some(buffer.prepare(4096), kNoThrow);
    if (ec) {
      co_return false;
    }
    buffer.commit(got);
    co_return true;
  }

  // Exchange reads requests and writes answers on an established stream (TLS or plain) until
  // the client closes, a limit is hit, or the client asks to close.
  template <typename Stream>
  asio::awaitable<void> Exchange(Stream& stream, Connection& conn, http::Request context) {
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
      // The first request must come within the header timeout; later ones within the idle one.
      if (!co_await AwaitRequest(stream, conn, buffer,
                                 first ? options.header_timeout : options.idle_timeout)) {
        co_return;
      }
      conn.busy = true;
      table->SetPhase(conn.id, ConnectionTable::Phase::kBusy);
      const auto started = std::chrono::steady_clock::now();
      const std::string id = NextRequestId();
      // The timer covers the whole request: a client that trickles bytes (slowloris) is cut off
      // when it runs out, whatever it has sent.
      beast::get_lowest_layer(stream).expires_after(options.header_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(http::kMaxHeaderBytes);
      auto [head_ec, head_n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
      if (head_ec) {
        // Beast has parsed the request line once it knows the target.
        // Named, not temporaries: GCC 12 destroys a temporary of a co_await's full-expression
        // twice.
        http::Request unread;
        if (!parser.get().target().empty()) {  // the request line was read
          unread.method = std::string(parser.get().method_string());
          unread.target = http::OriginForm(parser.get().target().substr(0, 200));
        }
        if (auto answer = AnswerToReadError(head_ec, !parser.get().target().empty())) {
          co_await Refuse(stream, conn, id, started, unread, *answer);
        }
        co_return;
      }
      const auto& head = parser.get();
      http::Request seen;
      seen.method = std::string(head.method_string());
      seen.target = http::OriginForm(head.target().substr(0, 200));
      if (auto refusal = http::CheckRequestHead(
              {head.version(), head.target(), JoinedField(head, bhttp::field::transfer_encoding),
               head.count(bhttp::field::content_length) > 0, head.count(bhttp::field::host)})) {
        co_await Refuse(stream, conn, id, started, seen, *refusal);
        co_return;
      }
      if (IsExpect100(head) && !parser.is_done()) {
        //= https://www.rfc-editor.org/rfc/rfc9110#section-10.1.1
        //# or send an immediate 100 (Continue) response to encourage the client to send the
        //# request content.
        bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, 11};
        co_await bhttp::async_write(stream, proceed, kNoThrow);
      }
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
      if (body_ec) {
        if (auto answer = AnswerToReadError(body_ec, /*request_line_read=*/true)) {
          co_await Refuse(stream, conn, id, started, seen, *answer);
        }
        co_return;
      }
      const bool keep_alive = co_await Answer(stream, conn, parser.get(), context, id, started);
      conn.busy = false;
      if (!keep_alive || conn.evicted) {
        co_return;
      }
    }
  }

  // Answer dispatches one request and writes its answer; false when the connection must close.
  template <typename Stream>
  asio::awaitable<bool> Answer(Stream& stream, Connection& conn,
                               const bhttp::request<bhttp::string_body>& req,
                               const http::Request& context, const std::string& id,
                               std::chrono::steady_clock::time_point started) {
    ++in_flight;
    http::Request request = ToRequest(req);
    request.peer_chain = context.peer_chain;
    request.peer_expired = context.peer_expired;
    request.secure = context.secure;
    request.metrics_only = context.metrics_only;
    // HEAD is GET without the content (RFC 9110 9.3.2); handlers only know GET.
    const bool head = req.method() == bhttp::verb::head;
    if (head) {
      request.method = "GET";
    }
    http::Response response = co_await Handle(request);
    if (response.long_poll) {
      // One deadline for the whole wait: a wake that brings the handler nothing new (another
      // change than the one it waits for) parks the request again for the time left.
      const auto deadline = std::chrono::steady_clock::now() + response.long_poll->timeout;
      while (response.long_poll && !request.waited) {
        conn.waiting = true;
        table->SetPhase(conn.id, ConnectionTable::Phase::kIdle);
        // Not in a || expression: a co_await stays a statement of its own here (GCC 12, above).
        bool changed = false;
        if (!conn.evicted) {
          changed =
              co_await AwaitChange(*response.long_poll, deadline, beast::get_lowest_layer(stream));
        }
        request.waited = !changed;
        conn.waiting = false;
        table->SetPhase(conn.id, ConnectionTable::Phase::kBusy);
        response = co_await Handle(request);
      }
    }
    response.headers.emplace_back("X-Request-Id", id);
    auto res = ToBeast(response, req.version(), req.keep_alive(), head);
    beast::get_lowest_layer(stream).expires_after(options.header_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, res, kNoThrow);
    if (head) {
      request.method = "HEAD";
    }
    Report(conn, id, started, request, response);
    --in_flight;
    co_return !write_ec && res.keep_alive();
  }

  // AwaitFirstBytes waits until the client sends something (its ClientHello), at most until
  // `deadline`: until then the connection is silent, the first to give way (ConnectionTable).
  // False when the deadline passed or the connection was closed.
  asio::awaitable<bool> AwaitFirstBytes(beast::tcp_stream& tcp_stream,
                                        std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer timer(tcp_stream.get_executor(), deadline);
    // `waiting` outlives this frame: a timer handler that runs late touches nothing.
    auto waiting = std::make_shared<bool>(true);
    timer.async_wait([&tcp_stream, waiting](boost::system::error_code ec) {
      if (!ec && *waiting) {
        tcp_stream.close();
      }
    });
    auto [ec] = co_await tcp_stream.socket().async_wait(tcp::socket::wait_read, kNoThrow);
    *waiting = false;
    timer.cancel();
    co_return !ec && tcp_stream.socket().is_open();
  }

  asio::awaitable<void> TlsSession(tcp::socket socket, std::shared_ptr<Connection> conn) {
    // This session's own reference: a reload meanwhile changes only later handshakes.
    const std::shared_ptr<asio::ssl::context> tls_context = CurrentTls();
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_context);
    auto& tcp_stream = beast::get_lowest_layer(stream);
    const StreamScope scope(*conn, [&tcp_stream] { tcp_stream.close(); });
    if (conn->evicted) {
      co_return;  // made way for a newer connection before this one started
    }
    const auto deadline = std::chrono::steady_clock::now() + options.handshake_timeout;
    if (!co_await AwaitFirstBytes(tcp_stream, deadline)) {
      co_return;
    }
    table->SetPhase(conn->id, ConnectionTable::Phase::kHandshake);
    tcp_stream.expires_at(deadline);
    auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (hs_ec) {
      if (!conn->evicted) {
        metrics->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      }
      co_return;  // a failed handshake costs this connection only
    }
    http::Request context;
    context.peer_chain = PeerChain(stream.native_handle());
    context.peer_expired =
        !context.peer_chain.empty() &&
        ::SSL_get_verify_result(stream.native_handle()) == X509_V_ERR_CERT_HAS_EXPIRED;
    co_await Exchange(stream, *conn, std::move(context));
    tcp_stream.expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kNoThrow);
  }

  asio::awaitable<void> PlainSession(tcp::socket socket, std::shared_ptr<Connection> conn,
                                     bool metrics_only) {
    beast::tcp_stream stream(std::move(socket));
    const StreamScope scope(*conn, [&stream] { stream.close(); });
    if (conn->evicted) {
      co_return;
    }
    http::Request context;
    context.secure = false;
    context.metrics_only = metrics_only;
    co_await Exchange(stream, *conn, std::move(context));
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // PauseAccepting waits a moment after the process or the system ran out of descriptors,
  // saying so once per episode.
  asio::awaitable<void> PauseAccepting(const boost::system::error_code& ec, bool& said) {
    if (!said) {
      Notice(log::Level::kError, "cannot accept connections: " + ec.message() + "; pausing " +
                                     std::to_string(kAcceptPause.count()) +
                                     " ms at a time until descriptors free up");
      said = true;
    }
    asio::steady_timer pause(*iocs.front(), kAcceptPause);
    co_await pause.async_wait(kNoThrow);
  }

  // Admit registers a new connection with the table; nullptr when it must be refused.
  template <typename Socket>
  std::shared_ptr<Connection> Admit(const Socket& socket, asio::io_context& ioc) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    auto conn = std::make_shared<Connection>();
    conn->address = ec ? "?" : remote.address().to_string();
    const std::string key = ec ? "?" : AddressKey(remote.address());
    conn->id = table->Admit(key, [this, conn, &ioc] {
      metrics->connections_evicted.fetch_add(1, std::memory_order_relaxed);
      asio::post(ioc, [conn] { conn->Evict(); });
    });
    return conn->id == 0 ? nullptr : conn;
  }

  // Accept takes the connections of `acceptor`: TLS when `secure`, else plain HTTP (for
  // /metrics alone when `metrics_only`).
  asio::awaitable<void> Accept(tcp::acceptor& acceptor, bool secure, bool metrics_only = false) {
    bool said_exhausted = false;
    for (size_t next = 0;; ++next) {
      asio::io_context& ioc = *iocs[next % iocs.size()];
      auto [ec, socket] = co_await acceptor.async_accept(ioc, kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
          co_return;  // closed on shutdown
        }
        if (IsFdExhaustion(ec)) {
          co_await PauseAccepting(ec, said_exhausted);
        }
        continue;  // this connection is lost (or still queued), the listener is not
      }
      said_exhausted = false;
      std::shared_ptr<Connection> conn = Admit(socket, ioc);
      if (!conn) {
        metrics->connections_refused.fetch_add(1, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket.close(ignored);  // full of busy connections: refuse at once rather than queue
        continue;
      }
      // Small writes (session tickets, then the response) must not wait for ACKs (Nagle +
      // delayed ACK costs up to 40 ms per new connection).
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      metrics->open_connections.fetch_add(1, std::memory_order_relaxed);
      auto session = secure ? TlsSession(std::move(socket), conn)
                            : PlainSession(std::move(socket), conn, metrics_only);
      asio::co_spawn(ioc, std::move(session), [this, conn](std::exception_ptr) {
        // Exceptions stop at this boundary (STYLE.md 4.5): one session, never the server.
        table->Remove(conn->id);
        metrics->open_connections.fetch_sub(1, std::memory_order_relaxed);
      });
    }
  }
};

void ServerOptions::Apply(const ServerSettings& settings) {
  threads = settings.threads;
  max_connections = settings.max_connections;
  max_handshakes = settings.max_handshakes;
  handshake_share_per_address = settings.handshake_share_per_address;
  max_body_bytes = static_cast<size_t>(settings.max_body_kib) * 1024;
  handshake_timeout = std::chrono::seconds(settings.handshake_timeout_seconds);
  header_timeout = std::chrono::seconds(settings.header_timeout_seconds);
  idle_timeout = std::chrono::seconds(settings.idle_timeout_seconds);
}

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsServer::~HttpsServer() = default;

Result<std::unique_ptr<HttpsServer>> HttpsServer::Create(const ServerOptions& options,
                                                         Handler handler, Blocking blocking) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->blocking = std::move(blocking);
  if (options.metrics != nullptr) {
    impl->metrics = options.metrics;
  }
  impl->logger = options.logger;
  if (impl->logger == nullptr) {
    impl->fallback_logger = std::make_unique<log::Logger>("anchor serve", log::Format::kText);
    impl->logger = impl->fallback_logger.get();
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads) : cores;
  for (size_t i = 0; i < threads; ++i) {
    impl->iocs.push_back(std::make_unique<asio::io_context>(1));
  }
  const size_t workers =
      options.workers > 0 ? static_cast<size_t>(options.workers) : std::max<size_t>(16, 4 * cores);
  impl->workers = std::make_unique<asio::thread_pool>(workers);
  ANCHOR_ASSIGN_OR_RETURN(impl->tls, Impl::BuildTls(options));
  ANCHOR_ASSIGN_OR_RETURN(impl->acceptor, impl->Listen(options.address, options.port));
  if (options.plain_port) {
    ANCHOR_ASSIGN_OR_RETURN(impl->plain_acceptor,
                            impl->Listen(options.plain_address, *options.plain_port));
  }
  if (options.metrics_port) {
    ANCHOR_ASSIGN_OR_RETURN(impl->metrics_acceptor,
                            impl->Listen(options.metrics_address, *options.metrics_port));
  }
  {
    std::random_device random;
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%08x", random());
    impl->id_prefix = prefix;
  }
  ANCHOR_TRY(impl->FitLimits());
  impl->hangup = std::make_unique<asio::signal_set>(*impl->iocs.front(), SIGHUP);
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

Status HttpsServer::ReloadTls(const ServerOptions& options) {
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<asio::ssl::context> fresh, Impl::BuildTls(options));
  const std::lock_guard lock(impl_->tls_mu);
  impl_->tls = std::move(fresh);
  return OkStatus();
}

uint16_t HttpsServer::port() const { return impl_->acceptor->local_endpoint().port(); }

std::optional<uint16_t> HttpsServer::plain_port() const {
  if (!impl_->plain_acceptor) {
    return std::nullopt;
  }
  return impl_->plain_acceptor->local_endpoint().port();
}

std::optional<uint16_t> HttpsServer::metrics_port() const {
  if (!impl_->metrics_acceptor) {
    return std::nullopt;
  }
  return impl_->metrics_acceptor->local_endpoint().port();
}

size_t HttpsServer::threads() const { return impl_->iocs.size(); }

void HttpsServer::Run(const std::function<void()>& on_hangup) {
  Impl& s = *impl_;
  asio::io_context& main = *s.iocs.front();
  asio::signal_set signals(main, SIGINT, SIGTERM);
  std::function<void()> wait_for_hangup = [&] {
    s.hangup->async_wait([&](boost::system::error_code ec, int) {
      if (ec) {
        return;  // cancelled on shutdown
      }
      if (on_hangup) {
        on_hangup();
      }
      wait_for_hangup();
    });
  };
  wait_for_hangup();
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
      s.stopping.Notify();
      s.hangup->cancel(ignored);
      s.acceptor->close(ignored);
      if (s.plain_acceptor) {
        s.plain_acceptor->close(ignored);
      }
      if (s.metrics_acceptor) {
        s.metrics_acceptor->close(ignored);
      }
      wait_for_drain();
    }
  });
  asio::co_spawn(main, s.Accept(*s.acceptor, /*secure=*/true), asio::detached);
  if (s.plain_acceptor) {
    asio::co_spawn(main, s.Accept(*s.plain_acceptor, /*secure=*/false), asio::detached);
  }
  if (s.metrics_acceptor) {
    asio::co_spawn(main, s.Accept(*s.metrics_acceptor, /*secure=*/false, /*metrics_only=*/true),
                   asio::detached);
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
