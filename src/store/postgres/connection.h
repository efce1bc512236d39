// SPDX-License-Identifier: Apache-2.0
// File: connection.h: one PostgreSQL connection (libpq), its parameters, rows and transactions.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::store::postgres {

struct ConnCloser {
  void operator()(PGconn* c) const noexcept { ::PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const noexcept { ::PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Params are a statement's parameters ($1, $2, ...) in order, so call sites read like the SQL.
// Text and integers are sent as text; bytes as binary (bytea), never escaped by hand.
class Params {
 public:
  Params& Text(std::string_view v);
  Params& Int(int64_t v);
  Params& Bytes(std::span<const uint8_t> v);
  Params& Null();
  // TextOrNull sends NULL for "" (the columns where absence is NULL: token_hash, renews).
  Params& TextOrNull(std::string_view v) { return v.empty() ? Null() : Text(v); }

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object for PQexecParams, valid while it lives unchanged.
  std::vector<const char*> Values() const;
  const int* Lengths() const { return lengths_.data(); }
  const int* Formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Rows is the answer to one statement, in text format.
class Rows {
 public:
  explicit Rows(ResultPtr result) : result_(std::move(result)) {}
  int size() const { return ::PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  bool IsNull(int row, int col) const { return ::PQgetisnull(result_.get(), row, col) != 0; }
  // Text is the column as text ("" for NULL).
  std::string Text(int row, int col) const;
  // Int is the column as an integer (0 for NULL).
  int64_t Int(int row, int col) const;
  // Bytes is a bytea column (sent by the server as "\x" and hex).
  std::vector<uint8_t> Bytes(int row, int col) const;
  // Affected is how many rows an INSERT, UPDATE or DELETE touched.
  int64_t Affected() const;

 private:
  ResultPtr result_;
};

// Connection is one libpq connection. It is not thread-safe: its owner holds `mu` around every
// use. A connection that broke (the server restarted, the network dropped) is reset on its next
// use, so a replica reconnects by itself; the statement that found it broken fails kUnavailable.
class Connection {
 public:
  // Open connects with `conninfo` (a libpq key=value string or a postgres:// URI). The password
  // comes from libpq's own sources ($PGPASSWORD, the passfile), never from anchor's command line.
  // A server that cannot be reached is kUnavailable, naming what libpq said.
  // `session` are SET statements run on every (re)connection (the store's timeouts).
  // `application_name`, when not empty, names the session unless `conninfo` names it
  // (fallback_application_name).
  static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo,
                                                  std::vector<std::string> session = {},
                                                  const std::string& application_name = "");

  // Exec runs one statement with `params` and returns its rows. Errors: kAlreadyExists for a
  // unique violation (SQLSTATE 23505); kUnavailable when the database cannot answer now (a lost
  // connection, a server shutting down or in recovery, out of resources, a serialization failure
  // or deadlock: CodeForSqlState); kInternal otherwise. `what` prefixes the message.
  Result<Rows> Exec(std::string_view what, const std::string& sql, const Params& params = {});
  // Run is Exec for a statement whose rows are not read.
  Status Run(std::string_view what, const std::string& sql, const Params& params = {});
  // ExecScript runs several statements without parameters (a migration step).
  Status ExecScript(std::string_view what, const std::string& sql);

  // InTransaction runs `body` in BEGIN ... COMMIT (READ COMMITTED: each writer serialises on the
  // rows it locks), rolling back when it or the commit fails.
  template <typename Fn>
  Status InTransaction(Fn&& body) {
    ANCHOR_TRY(Run("beginning a transaction", "BEGIN"));
    Status st = body();
    if (st) {
      st = Run("committing", "COMMIT");
    }
    if (!st) {
      (void)Run("rolling back", "ROLLBACK");
    }
    return st;
  }
  // InSavepoint runs `body` inside the caller's transaction so that its failure undoes only what
  // it wrote (SAVEPOINT ... RELEASE, or ROLLBACK TO on failure: in PostgreSQL a failed statement
  // aborts the transaction until then).
  template <typename Fn>
  Status InSavepoint(Fn&& body) {
    ANCHOR_TRY(Run("setting a savepoint", "SAVEPOINT one"));
    Status st = body();
    if (!st) {
      (void)Run("rolling back to the savepoint", "ROLLBACK TO SAVEPOINT one");
    }
    (void)Run("releasing the savepoint", "RELEASE SAVEPOINT one");
    return st;
  }

  // AwaitNotifications waits until a NOTIFY for a channel this session LISTENs to arrives (true;
  // every one waiting is consumed), `timeout` passes or `wake_fd` becomes readable (false).
  // kUnavailable when the connection is lost: LISTEN again on a new one.
  // (https://www.postgresql.org/docs/15/libpq-notify.html: PQconsumeInput, then PQnotifies.)
  Result<bool> AwaitNotifications(std::chrono::milliseconds timeout, int wake_fd);

  std::mutex mu;

 private:
  Connection(Conn conn, std::vector<std::string> session)
      : conn_(std::move(conn)), session_(std::move(session)) {}
  // Usable resets a broken connection once; kUnavailable when it stays broken.
  Status Usable();
  // Configure runs the session's SET statements.
  Status Configure();

  Conn conn_;
  std::vector<std::string> session_;
};

// CodeForSqlState is the error code of a failed statement with SQLSTATE `state` ("" when libpq
// got no answer at all: the connection was lost), chosen by what the caller can do about it:
// kAlreadyExists for a unique violation; kUnavailable for what passes (class 08 connection
// exceptions, 40001/40P01 serialization failure and deadlock, 53 insufficient resources, 57P
// operator intervention: a shutdown or a server that cannot accept connections yet, 58 system
// errors, 25006 a read-only transaction: a standby, 55P03 a lock not granted within
// lock_timeout, 57014 a statement cancelled by statement_timeout, 25P03 a session ended by
// idle_in_transaction_session_timeout); kInvalidArgument for text the database
// cannot store (22021 invalid byte sequence); kInternal otherwise.
Code CodeForSqlState(std::string_view state);

}  // namespace anchor::store::postgres
