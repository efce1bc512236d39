// SPDX-License-Identifier: Apache-2.0
// File: request_checks.cc: framing, Host and target checks of RFC 9112.
#include "http/request_checks.h"

#include <algorithm>
#include <vector>

#include "core/text.h"
#include "http/header_fields.h"

namespace anchor::http {
namespace {

Status CheckTransferEncoding(const RequestHead& head) {
  //= https://www.rfc-editor.org/rfc/rfc9112#section-6.1
  //# A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header
  //# field MUST treat the message as if the framing is faulty, even if a Content-Length is
  //# present, and close the connection after processing the message.
  if (head.version < 11) {
    return Error(Code::kInvalidArgument, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  }
  std::vector<std::string> codings;
  for (const std::string_view coding : SplitList(*head.transfer_encoding)) {
    codings.push_back(ToLower(coding));  // transfer-coding names are case-insensitive
  }
  //= https://www.rfc-editor.org/rfc/rfc9112#section-6.3
  //# If a Transfer-Encoding header field is present in a request and the chunked transfer
  //# coding is not the final encoding, the message body length cannot be determined reliably;
  //# the server MUST respond with the 400 (Bad Request) status code and then close the
  //# connection.
  if (codings.empty() || codings.back() != "chunked") {
    return Error(Code::kInvalidArgument, "Transfer-Encoding must end in chunked");
  }
  codings.pop_back();  // the final chunked; what remains was applied before it
  //= https://www.rfc-editor.org/rfc/rfc9112#section-7.1
  //# A sender MUST NOT apply the chunked transfer coding more than once to a message body
  if (std::find(codings.begin(), codings.end(), "chunked") != codings.end()) {
    return Error(Code::kInvalidArgument, "Transfer-Encoding applies chunked more than once");
  }
  //= https://www.rfc-editor.org/rfc/rfc9112#section-6.1
  //# A server that receives a request message with a transfer coding it does not understand
  //# SHOULD respond with 501 (Not Implemented).
  if (!codings.empty()) {
    return Error(Code::kUnimplemented, "the transfer coding '" + codings.front() +
                                           "' is not supported; send chunked alone");
  }
  //= https://www.rfc-editor.org/rfc/rfc9112#section-6.1
  //# A server MAY reject a request that contains both Content-Length and Transfer-Encoding or
  //# process such a request in accordance with the Transfer-Encoding alone. Regardless, the
  //# server MUST close the connection after responding to such a request to avoid the potential
  //# attacks.
  if (head.has_content_length) {
    return Error(Code::kInvalidArgument,
                 "a request may not carry both Transfer-Encoding and Content-Length");
  }
  return OkStatus();
}

// CheckHead is CheckRequestHead as a Status: what is wrong with the head, if anything.
Status CheckHead(const RequestHead& head) {
  //= https://www.rfc-editor.org/rfc/rfc9112#section-3
  //# A server that receives a request-target longer than any URI it wishes to parse MUST
  //# respond with a 414 (URI Too Long) status code
  if (head.target.size() > kMaxTargetBytes) {
    return Error(Code::kUriTooLong,
                 "the request target is longer than " + std::to_string(kMaxTargetBytes) + " bytes");
  }
  //= https://www.rfc-editor.org/rfc/rfc9112#section-3.2
  //# A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message
  //# that lacks a Host header field and to any request message that contains more than one
  //# Host header field line or a Host header field with an invalid field value.
  if (head.host_fields > 1 || (head.version >= 11 && head.host_fields == 0)) {
    return Error(Code::kInvalidArgument, "an HTTP/1.1 request needs exactly one Host header field");
  }
  if (head.transfer_encoding) {
    return CheckTransferEncoding(head);
  }
  return OkStatus();
}

}  // namespace

Response Refusal(const Error& error) {
  Response r = ErrorResponse(error);
  r.close = true;
  return r;
}

std::optional<Response> CheckRequestHead(const RequestHead& head) {
  const Status verdict = CheckHead(head);
  if (verdict) {
    return std::nullopt;
  }
  return Refusal(verdict.error());
}

Response HeadTooLarge(bool request_line_read) {
  if (!request_line_read) {
    return Refusal(Error(Code::kUriTooLong, "the request line is longer than " +
                                                std::to_string(kMaxTargetBytes) + " bytes"));
  }
  //= https://www.rfc-editor.org/rfc/rfc6585#section-5
  //# The 431 status code indicates that the server is unwilling to process the request because
  //# its header fields are too large.
  return Refusal(Error(Code::kHeaderTooLarge, "the request header fields are larger than " +
                                                  std::to_string(kMaxHeaderBytes / 1024) + " KiB"));
}

//= https://www.rfc-editor.org/rfc/rfc9112#section-3.2.2
//# A server MUST accept the absolute-form in requests even though most HTTP/1.1 clients will
//# only send the absolute-form to a proxy.
std::string OriginForm(std::string_view target) {
  if (target.empty() || target.front() == '/') {
    return std::string(target);
  }
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || !IsToken(target.substr(0, scheme_end))) {
    return std::string(target);  // not absolute-form: the router answers 404
  }
  const std::string_view rest = target.substr(scheme_end + 3);
  const size_t path = rest.find_first_of("/?");
  if (path == std::string_view::npos) {
    return "/";
  }
  return (rest[path] == '?' ? "/" : "") + std::string(rest.substr(path));
}

}  // namespace anchor::http
