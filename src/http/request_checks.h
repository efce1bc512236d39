// SPDX-License-Identifier: Apache-2.0
// File: request_checks.h: what RFC 9112 requires of a request's head before its body is read
// (framing, Host, target length), and the target in origin-form. The transport (server/) reads
// the head with Beast and asks here; these are plain functions so they are tested without one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_message.h"

namespace anchor::http {

// kMaxTargetBytes bounds a request-target: longer ones are 414.
//= https://www.rfc-editor.org/rfc/rfc9112#section-3
//# It is RECOMMENDED that all HTTP senders and recipients support, at a minimum, request-line
//# lengths of 8000 octets.
inline constexpr size_t kMaxTargetBytes = 8000;

// kMaxHeaderBytes bounds a request's whole head (request line and fields): more is 431, or 414
// when the request line alone does not fit.
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;

// RequestHead is what the transport knows of a request once its head is read.
struct RequestHead {
  unsigned version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string_view target;
  // transfer_encoding is every Transfer-Encoding field line, joined with ", "; nullopt: none.
  std::optional<std::string> transfer_encoding;
  bool has_content_length = false;
  size_t host_fields = 0;  // how many Host field lines
};

// Refusal is the answer to a request after which the connection must be closed (its framing,
// its size or its head cannot be trusted, so nothing after it can be): ErrorResponse of
// `error`, its status from the code (kStatuses), with `close` set. The checks here and the
// transport's own refusals (a body over the limit, a request Beast cannot parse) all answer so.
Response Refusal(const Error& error);

// CheckRequestHead returns the answer to a request whose head makes it unacceptable (400
// kInvalidArgument, 414 kUriTooLong, 501 kUnimplemented), after which the connection must be
// closed: its body cannot be told from the next request. nullopt: the body may be read as Beast
// frames it.
std::optional<Response> CheckRequestHead(const RequestHead& head);

// HeadTooLarge answers a head that went over kMaxHeaderBytes: 414 (kUriTooLong) when not even
// its request line could be read (`request_line_read` false), else 431 (kHeaderTooLarge).
Response HeadTooLarge(bool request_line_read);

// OriginForm returns `target` as origin-form (path and query): itself when it is already, the
// path after the authority when it is in absolute-form ("https://ca:8443/healthz" -> "/healthz").
std::string OriginForm(std::string_view target);

}  // namespace anchor::http
