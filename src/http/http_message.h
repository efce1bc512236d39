// SPDX-License-Identifier: Apache-2.0
// File: http_message.h: plain HTTP request/response values for the protocol handlers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/change_signal.h"
#include "core/error.h"
#include "crypto/certificate.h"

namespace anchor::http {

// CaseInsensitiveLess orders header names without regard to ASCII case (RFC 9110 5.1).
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

// Request is what a handler sees: no socket, no TLS object.
struct Request {
  std::string method;
  std::string target;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  // peer_chain is the client's certificate chain as TLS verified it, leaf first, taken from the
  // TLS session once per connection (no handler parses DER again); empty when the client sent
  // no certificate. Handlers that accept a certificate as a credential check it further
  // (issuer, revocation) through the Authority.
  std::vector<crypto::Certificate> peer_chain;
  // peer_expired is set by TLS when the client's chain verified but for its leaf, which has
  // expired: such a certificate gets through the handshake so that simplereenroll can apply the
  // renewal grace period, and the router refuses it everywhere else.
  bool peer_expired = false;
  // secure is false for requests over plain HTTP, which may reach only signed, public content.
  bool secure = true;
  // metrics_only is set for requests over the metrics listener (`--metrics-listen`), which may
  // reach /metrics and nothing else.
  bool metrics_only = false;
  // waited is set when the handler asked this request to wait (a LongPoll) and the wait is over
  // (its timeout passed, or the server is stopping): the handler must answer now, with whatever
  // it has.
  bool waited = false;

  // Header returns the value of `name`, or "" when absent.
  std::string Header(const std::string& name) const;
  // Path is the target without its query string.
  std::string Path() const;
  // Query returns the percent-decoded value of the first query parameter whose percent-decoded
  // name is `name`, or nullopt when absent (or malformed).
  std::optional<std::string> Query(std::string_view name) const;
  // QueryNames are the percent-decoded names of every query parameter, in order (a malformed
  // one as "").
  std::vector<std::string> QueryNames() const;
};

// OnlyQueryParameters refuses (kInvalidArgument, naming it and the known ones) a query parameter
// not in `known` (empty: the endpoint takes none): a misspelt filter must not quietly list
// everything, nor `revoke?reason=keyCompromise` quietly revoke as "unspecified". A parameter given
// twice is refused too: Query reads only the first.
Status OnlyQueryParameters(const Request& request, const std::vector<std::string>& known);

// PercentDecode decodes %XX escapes and '+' (as a space when `plus_is_space`); nullopt for a
// malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Response is what a handler returns; server/ writes it.
// LongPoll, set on a Response, means "nothing to say yet": the transport keeps the request,
// without a thread, until `signal`'s version is no longer `seen` (something changed), `timeout`
// passes, or the server stops. After a change it calls the handler again, which may answer or
// ask to wait again (for what is left of the first `timeout`: a change it was not waiting for);
// after the timeout or at a stop, it calls it with Request::waited set, and the handler must
// answer. The rest of the Response that carried a LongPoll is not sent.
struct LongPoll {
  ChangeSignal* signal = nullptr;  // borrowed: outlives the server
  uint64_t seen = 0;               // the version the handler read its state at
  std::chrono::milliseconds timeout{0};
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // close asks the transport to close the connection after this answer (the request's framing
  // could not be trusted, so nothing after it can be).
  bool close = false;
  // log, when set, is what the server's log says about this answer and the client is not told:
  // the cause of a 5xx (e.g. the database error behind "internal error").
  std::string log;
  // log_fields is what the request log records about the CA objects this answer concerns,
  // decided by the handler: {"issued", serial} for an enrollment, {"revoked", serial} for a
  // revocation. The client is not sent them.
  std::vector<std::pair<std::string, std::string>> log_fields;
  // long_poll, when set, asks the transport to wait and ask again (LongPoll).
  std::optional<LongPoll> long_poll;
};

// ParseCount reads a query parameter that must be a non-negative decimal integer, all of it.
std::optional<int64_t> ParseCount(std::string_view text);

// StatusRow is one line of kStatuses: the HTTP status of an error code.
struct StatusRow {
  Code code;
  int status;
};

// kStatuses is the one table where error codes become HTTP statuses (STYLE.md 4.2), as
// core/exit_codes.h is for exit codes: every code has a row (kAllCodes; http_message_test.cc).
// A handler or the transport never names a status of a refusal itself; it makes an Error, and
// ErrorResponse looks its status up here.
// clang-format off
inline constexpr StatusRow kStatuses[] = {
    {Code::kOk,                   200},
    {Code::kInvalidArgument,      400},
    {Code::kUnauthenticated,      401},
    {Code::kPermissionDenied,     403},
    {Code::kNotFound,             404},
    {Code::kAlreadyExists,        409},
    {Code::kFailedPrecondition,   409},
    {Code::kAborted,              409},
    {Code::kUnimplemented,        501},
    {Code::kUnavailable,          503},
    {Code::kInternal,             500},
    //= https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
    //# The 413 (Content Too Large) status code indicates that the server is refusing to process
    //# a request because the request content is larger than the server is willing or able to
    //# process.
    {Code::kContentTooLarge,      413},
    //= https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16
    //# The 415 (Unsupported Media Type) status code indicates that the origin server is refusing
    //# to service the request because the content is in a format not supported by this method
    //# on the target resource.
    {Code::kUnsupportedMediaType, 415},
    //= https://www.rfc-editor.org/rfc/rfc9110#section-15.5.15
    //# The 414 (URI Too Long) status code indicates that the server is refusing to service the
    //# request because the target URI is longer than the server is willing to interpret.
    {Code::kUriTooLong,           414},
    //= https://www.rfc-editor.org/rfc/rfc6585#section-5
    //# The 431 status code indicates that the server is unwilling to process the request because
    //# its header fields are too large.
    {Code::kHeaderTooLarge,       431},
};
// clang-format on

// StatusFor is the HTTP status of `code` (kStatuses); a code missing from the table would be 500.
int StatusFor(Code code);

// CodeForStatus is StatusFor's inverse, for clients reading an answer: 4xx and 5xx statuses to
// the error code a server would have had. 408 (Request Timeout), 429 (Too Many Requests) and
// every 5xx but 500 and 501 are kUnavailable: the same request may succeed later. Every other
// 4xx (413, 414, 415 and 431 among them) is kInvalidArgument: to a client they all say that its
// request is wrong, and its exit code and log say so as they always have.
Code CodeForStatus(int status);

// TextResponse is a text/plain answer of one line: `line` and a newline.
Response TextResponse(int status, std::string line);

// ErrorResponse is a short text/plain answer that says what was wrong, with the status of
// `error`'s code; 401 carries a WWW-Authenticate challenge, 503 a Retry-After. A 5xx keeps the
// error's message and detail in `log`: it is a fault of the server, which the operator must see.
Response ErrorResponse(const Error& error);

// Respond turns a handler's outcome into its answer: the response it made, or ErrorResponse for
// its error. Handlers compute a Result and call this once, so a refusal's status is always the
// one kStatuses gives its code.
Response Respond(Result<Response> outcome);

}  // namespace anchor::http
