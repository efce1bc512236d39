// SPDX-License-Identifier: Apache-2.0
// File: connection.cc: libpq calls, SQLSTATE to error codes.
#include "store/postgres/connection.h"

#include <poll.h>

#include <cctype>

#include "core/text.h"

namespace anchor::store::postgres {
namespace {

// Message is libpq's error text on one line: it ends its messages with a newline, and a server
// error may add DETAIL and HINT lines, indented with tabs; each run of white space becomes one
// space. It says PostgreSQL, so that a 503's reason tells which part of the system is down.
std::string Message(const char* text) {
  std::string out = "PostgreSQL: ";
  bool space = false;
  for (const char* c = text != nullptr ? text : ""; *c != '\0'; ++c) {
    if (std::isspace(static_cast<unsigned char>(*c))) {
      space = true;
      continue;
    }
    if (space && out.back() != ' ') {
      out += ' ';
    }
    space = false;
    out += *c;
  }
  return out.size() > 12 ? out : out + "no answer from the server";
}

// kConnectTimeoutSeconds bounds a connection attempt (and a reset after the server went away).
constexpr const char* kConnectTimeoutSeconds = "5";

}  // namespace

Params& Params::Text(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::Int(int64_t v) { return Text(std::to_string(v)); }

Params& Params::Bytes(std::span<const uint8_t> v) {
  values_.emplace_back(reinterpret_cast<const char*>(v.data()), v.size());
  null_.push_back(false);
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(1);  // binary: the bytes as they are, no escaping
  return *this;
}

Params& Params::Null() {
  values_.emplace_back();
  null_.push_back(true);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> Params::Values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    out.push_back(null_[i] ? nullptr : values_[i].data());
  }
  return out;
}

std::string Rows::Text(int row, int col) const {
  return std::string(::PQgetvalue(result_.get(), row, col),
                     static_cast<size_t>(::PQgetlength(result_.get(), row, col)));
}

int64_t Rows::Int(int row, int col) const {
  if (IsNull(row, col)) {
    return 0;
  }
  return std::stoll(::PQgetvalue(result_.get(), row, col));
}

std::vector<uint8_t> Rows::Bytes(int row, int col) const {
  // bytea_output 'hex' (the default since PostgreSQL 9.0): "\x" then two hex digits a byte.
  const std::string text = Text(row, col);
  std::vector<uint8_t> out;
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    (void)HexDecode(std::string_view(text).substr(2), out);
  }
  return out;
}

int64_t Rows::Affected() const {
  const char* n = ::PQcmdTuples(result_.get());
  return n != nullptr && *n != '\0' ? std::stoll(n) : 0;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo,
                                                     std::vector<std::string> session,
                                                     const std::string& application_name) {
  // connect_timeout first, then the conninfo expanded (expand_dbname): a later setting wins, so
  // the URI's own connect_timeout, if any, overrides this default. Without one, libpq would
  // wait for an unreachable host as long as TCP does, and a request with it.
  // TCP keepalives the same way: a database host that vanishes without a reset (a network cut)
  // is noticed within about 25 s even by a connection that only listens (notify_watch.cc),
  // instead of the kernel's two hours; ignored on a Unix socket.
  // (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-KEEPALIVES)
  const char* const keywords[] = {"connect_timeout",
                                  "keepalives_idle",
                                  "keepalives_interval",
                                  "keepalives_count",
                                  "fallback_application_name",
                                  "dbname",
                                  nullptr};
  const char* const values[] = {kConnectTimeoutSeconds,
                                "10",
                                "5",
                                "3",
                                application_name.empty() ? nullptr : application_name.c_str(),
                                conninfo.c_str(),
                                nullptr};
  Conn conn(::PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn) {
    return Error(Code::kUnavailable, "cannot connect to PostgreSQL: out of memory");
  }
  if (::PQstatus(conn.get()) != CONNECTION_OK) {
    return Error(Code::kUnavailable,
                 "cannot connect to the database: " + Message(::PQerrorMessage(conn.get())));
  }
  // The server's notices ("relation ... already exists, skipping" from the migrations' IF NOT
  // EXISTS) are for a psql user; libpq would print them on stderr, between anchor's own lines.
  ::PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> out(new Connection(std::move(conn), std::move(session)));
  ANCHOR_TRY(out->Configure());
  return out;
}

Result<bool> Connection::AwaitNotifications(std::chrono::milliseconds timeout, int wake_fd) {
  const auto lost = [this] {
    return Error(Code::kUnavailable,
                 "the database connection was lost: " + Message(::PQerrorMessage(conn_.get())));
  };
  const int socket = ::PQsocket(conn_.get());
  if (socket < 0 || ::PQstatus(conn_.get()) != CONNECTION_OK) {
    return lost();
  }
  pollfd fds[2] = {{socket, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int ready = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (ready <= 0 || (fds[0].revents == 0)) {
    return false;  // timed out, woken, or interrupted by a signal: the caller decides
  }
  if (::PQconsumeInput(conn_.get()) == 0) {
    return lost();
  }
  bool any = false;
  while (PGnotify* n = ::PQnotifies(conn_.get())) {
    ::PQfreemem(n);
    any = true;
  }
  return any;
}

Status Connection::Configure() {
  for (const std::string& set : session_) {
    ResultPtr r(::PQexec(conn_.get(), set.c_str()));
    if (!r || ::PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return Error(
          Code::kUnavailable,
          "configuring the session (" + set +
              "): " + Message(r ? ::PQresultErrorMessage(r.get()) : ::PQerrorMessage(conn_.get())));
    }
  }
  return OkStatus();
}

Status Connection::Usable() {
  if (::PQstatus(conn_.get()) == CONNECTION_OK) {
    return OkStatus();
  }
  ::PQreset(conn_.get());
  if (::PQstatus(conn_.get()) != CONNECTION_OK) {
    return Error(Code::kUnavailable,
                 "cannot reach the database: " + Message(::PQerrorMessage(conn_.get())));
  }
  return Configure();
}

Result<Rows> Connection::Exec(std::string_view what, const std::string& sql, const Params& params) {
  ANCHOR_TRY(Usable());
  const std::vector<const char*> values = params.Values();
  const auto send = [&] {
    return ResultPtr(::PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, values.data(),
                                    params.Lengths(), params.Formats(),
                                    /*resultFormat=*/0));
  };
  const auto ok = [](const ResultPtr& r) {
    const ExecStatusType status = r ? ::PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  };
  // Outside a transaction the statement is a read or a BEGIN: if the server went away since this
  // connection was last used (a restart), nothing was done, and once the connection is reset the
  // statement runs as if sent first. Inside a transaction the failure stands: its work is lost.
  const bool idle = ::PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
  ResultPtr r = send();
  if (!ok(r) && idle && ::PQstatus(conn_.get()) == CONNECTION_BAD && Usable()) {
    r = send();
  }
  if (ok(r)) {
    return Rows(std::move(r));
  }
  const char* state = r ? ::PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string message =
      Message(r ? ::PQresultErrorMessage(r.get()) : ::PQerrorMessage(conn_.get()));
  return Error(CodeForSqlState(state != nullptr ? state : ""), std::string(what) + ": " + message);
}

Status Connection::Run(std::string_view what, const std::string& sql, const Params& params) {
  ANCHOR_TRY(Exec(what, sql, params));
  return OkStatus();
}

Status Connection::ExecScript(std::string_view what, const std::string& sql) {
  ANCHOR_TRY(Usable());
  ResultPtr r(::PQexec(conn_.get(), sql.c_str()));
  const ExecStatusType status = r ? ::PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return OkStatus();
  }
  const char* state = r ? ::PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  return Error(CodeForSqlState(state != nullptr ? state : ""),
               std::string(what) + ": " +
                   Message(r ? ::PQresultErrorMessage(r.get()) : ::PQerrorMessage(conn_.get())));
}

Code CodeForSqlState(std::string_view state) {
  if (state.empty()) {
    return Code::kUnavailable;  // no answer: the connection was lost
  }
  if (state == "23505") {
    return Code::kAlreadyExists;
  }
  if (state == "22021") {
    return Code::kInvalidArgument;
  }
  const std::string_view cls = state.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "58" || state == "40001" || state == "40P01" ||
      state.starts_with("57P") || state == "25006" || state == "55P03" || state == "57014" ||
      state == "25P03") {
    return Code::kUnavailable;
  }
  return Code::kInternal;
}

}  // namespace anchor::store::postgres
