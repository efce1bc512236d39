// SPDX-License-Identifier: Apache-2.0
// File: request_log.cc: the fields of a request's log line.
#include "cli/request_log.h"

#include "server/router.h"

namespace anchor::cli {
namespace {

// kMaxPathBytes bounds what a client's path adds to a line.
constexpr size_t kMaxPathBytes = 200;

}  // namespace

std::vector<log::Field> RequestLog::Fields(const server::AnswerRecord& record) {
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
      {"route", std::string(req.target.empty() ? "-" : server::Router::RouteLabel(req.Path()))},
      {"status", static_cast<int64_t>(res.status)},
      {"latency_ms", std::chrono::duration<double, std::milli>(record.latency).count()},
  };
  for (const auto& [name, value] : res.log_fields) {
    fields.push_back({name, value});
  }
  if (res.status >= 400) {
    const std::string error = res.log.empty() ? res.body.substr(0, res.body.find('\n')) : res.log;
    fields.push_back({"error", error.substr(0, 500)});
  }
  return fields;
}

void RequestLog::Record(const server::AnswerRecord& record) {
  const int status = record.response.status;
  const std::vector<log::Field> fields = Fields(record);
  if (status < 400) {
    logger_.Write(log::Level::kInfo, "request", fields);
    return;
  }
  // Similar: same method, route, status and error; the time, the request id, the peer and the
  // latency vary. Any unknown path is similar to any other (route "other"): its message names
  // the path, and a scan of made-up paths must not give one line per path.
  const std::string route = record.request.target.empty()
                                ? "-"
                                : std::string(server::Router::RouteLabel(record.request.Path()));
  std::string key = (record.request.method.empty() ? "-" : record.request.method) + " " + route +
                    " " + std::to_string(status);
  if (route != "other") {
    key += " " + std::get<std::string>(fields.back().value);  // the "error" field
  }
  logger_.WriteLimited(key, status >= 500 ? log::Level::kError : log::Level::kWarning, "request",
                       fields);
}

}  // namespace anchor::cli
