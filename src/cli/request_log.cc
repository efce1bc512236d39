// SPDX-License-Identifier: Apache-2.0
// File: request_log.cc: the fields of a request's log line.
#include "cli/request_log.h"

namespace anchor::cli {
namespace {

// kMaxPathBytes bounds what a client's path adds to a line.
constexpr size_t kMaxPathBytes = 200;

// ErrorOf is what an answer of 400 or more, or one whose `log` holds a cause of ours, says went
// wrong: that server-side cause, else the answer's first line; at most 500 bytes.
std::string ErrorOf(const http::Response& res) {
  const std::string error = res.log.empty() ? res.body.substr(0, res.body.find('\n')) : res.log;
  return error.substr(0, 500);
}

}  // namespace

std::vector<log::Field> RequestLog::Fields(const server::AnswerRecord& record,
                                           std::string_view route) {
  const http::Request& req = record.request;
  const http::Response& res = record.response;
  const std::string path = req.target.empty() ? "-" : req.Path().substr(0, kMaxPathBytes);
  std::vector<log::Field> fields = {
      {"request_id", record.request_id},
      {"remote", record.remote},
      {"peer", req.peer_chain.empty() ? "-" : req.peer_chain.front().Subject()},
      {"peer_serial", req.peer_chain.empty() ? "-" : req.peer_chain.front().SerialHex()},
      {"method", req.method.empty() ? "-" : req.method},
      {"path", path},
      {"route", std::string(route)},
      {"status", static_cast<int64_t>(res.status)},
      {"latency_ms", std::chrono::duration<double, std::milli>(record.latency).count()},
  };
  for (const auto& [name, value] : res.log_fields) {
    fields.push_back({name, value});
  }
  if (res.status >= 400 || !res.log.empty()) {
    fields.push_back({"error", ErrorOf(res)});
  }
  return fields;
}

void RequestLog::Record(const server::AnswerRecord& record, std::string_view route) {
  const int status = record.response.status;
  const std::vector<log::Field> fields = Fields(record, route);
  if (status < 400 && record.response.log.empty()) {
    logger_.Write(log::Level::kInfo, "request", fields);
    return;
  }
  // Similar: same method, route, status and error; the time, the request id, the peer and the
  // latency vary. Any unknown path is similar to any other (route "other"): its message names
  // the path, and a scan of made-up paths must not give one line per path.
  std::string key = (record.request.method.empty() ? "-" : record.request.method) + " " +
                    std::string(route) + " " + std::to_string(status);
  if (route != "other") {
    key += " " + ErrorOf(record.response);
  }
  // A 200 with a cause of ours (an OCSP tryLater, whose status is inside the body) is an error.
  const bool ours = status >= 500 || (status < 400 && !record.response.log.empty());
  logger_.WriteLimited(key, ours ? log::Level::kError : log::Level::kWarning, "request", fields);
}

}  // namespace anchor::cli
