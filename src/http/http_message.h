// SPDX-License-Identifier: Apache-2.0
// File: http_message.h: plain HTTP request/response values for the protocol handlers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

  // Header returns the value of `name`, or "" when absent.
  std::string Header(const std::string& name) const;
  // Path is the target without its query string.
  std::string Path() const;
  // Query returns the percent-decoded value of the first query parameter whose percent-decoded
  // name is `name`, or nullopt when absent (or malformed).
  std::optional<std::string> Query(std::string_view name) const;
};

// PercentDecode decodes %XX escapes and '+' (as a space when `plus_is_space`); nullopt for a
// malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Response is what a handler returns; server/ writes it.
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
};

// ParseCount reads a query parameter that must be a non-negative decimal integer, all of it.
std::optional<int64_t> ParseCount(std::string_view text);

// StatusFor maps an error code to its HTTP status (STYLE.md 4.2): the one place this happens.
int StatusFor(Code code);

// CodeForStatus is StatusFor's inverse, for clients reading an answer: 4xx and 5xx statuses to
// the error code a server would have had. 408 (Request Timeout), 429 (Too Many Requests) and
// every 5xx but 500 and 501 are kUnavailable: the same request may succeed later.
Code CodeForStatus(int status);

// TextResponse is a text/plain answer of one line: `line` and a newline.
Response TextResponse(int status, std::string line);

// ErrorResponse is a short text/plain answer that says what was wrong, with the status of
// `error`'s code; 401 carries a WWW-Authenticate challenge, 503 a Retry-After. A 5xx keeps the
// error's message and detail in `log`: it is a fault of the server, which the operator must see.
Response ErrorResponse(const Error& error);

}  // namespace anchor::http
