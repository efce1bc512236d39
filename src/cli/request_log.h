// SPDX-License-Identifier: Apache-2.0
// File: request_log.h: `anchor serve`'s one log line per request, made from the transport's
// AnswerRecord: what it says about the peer and the CA's objects is decided here, not in server/.
#pragma once

#include <string_view>

#include "core/log.h"
#include "server/https_server.h"

namespace anchor::cli {

// RequestLog writes one line per answered request through `logger`, with the fields
//   request_id, remote, peer (the client certificate's subject, or "-"), peer_serial ("-"),
//   method, path, route, status, latency_ms, and those the handler set (issued, revoked: a
//   serial), and for an answer of 400 or more, error (what went wrong: the server-side cause of
//   a 5xx, else the first line of the answer).
// Lines of answers of 400 or more are rate-limited by route and status (Logger::WriteLimited), so
// a storm of bad requests writes a bounded number of lines; successful answers are all written.
class RequestLog final {
 public:
  explicit RequestLog(log::Logger& logger) : logger_(logger) {}

  // Record writes the line of `record`, whose route label (the metrics' one, computed once per
  // request by the caller; "-" for a request that could not be read) is `route`; thread-safe.
  void Record(const server::AnswerRecord& record, std::string_view route);

  // Fields is the line's content, for tests.
  static std::vector<log::Field> Fields(const server::AnswerRecord& record, std::string_view route);

 private:
  log::Logger& logger_;
};

}  // namespace anchor::cli
