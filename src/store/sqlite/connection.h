// SPDX-License-Identifier: Apache-2.0
// File: connection.h: one SQLite connection, its statement cache and its transactions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::store::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { ::sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { ::sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// ScopedStatement is a cached statement lent for one use: it is reset when the scope ends, so no
// half-read statement keeps a read snapshot open (which would make this connection's next write
// fail at once with SQLITE_BUSY_SNAPSHOT instead of waiting).
class ScopedStatement {
 public:
  explicit ScopedStatement(sqlite3_stmt* s) : s_(s) {}
  ScopedStatement(ScopedStatement&& other) noexcept;
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ~ScopedStatement();
  operator sqlite3_stmt*() const { return s_; }  // NOLINT: used where the C API wants the pointer

 private:
  sqlite3_stmt* s_;
};

// Binder binds parameters left to right, so call sites read like the SQL.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* s);
  Binder& Text(std::string_view v);
  Binder& Int(int64_t v);
  Binder& Null();
  Binder& Blob(const std::vector<uint8_t>& v);

 private:
  sqlite3_stmt* s_;
  int i_ = 0;
};

// ColumnText reads column `col` of the current row as text ("" for NULL).
std::string ColumnText(sqlite3_stmt* s, int col);

// Connection is one SQLite connection with its own statement cache. It is not thread-safe: its
// owner holds `mu` around every use.
class Connection {
 public:
  // Open opens `path` (creating it when `create`), waiting up to 10 s for other connections'
  // locks. Errors are kUnavailable naming the path.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool create);

  // Exec runs `sql` (no results); an error names the statement's first word.
  Status Exec(const std::string& sql);
  // Prepared lends the cached statement for `sql`, prepared once per connection.
  Result<ScopedStatement> Prepared(const std::string& sql);
  // Error is the error of the call that just failed on this connection, prefixed with `what`.
  Error SqlError(std::string_view what) const;
  // InTransaction runs `body` in BEGIN IMMEDIATE ... COMMIT, rolling back when it or the commit
  // fails.
  template <typename Fn>
  Status InTransaction(Fn&& body) {
    ANCHOR_TRY(Exec("BEGIN IMMEDIATE"));
    Status st = body();
    if (st) {
      st = Exec("COMMIT");
    }
    if (!st) {
      (void)Exec("ROLLBACK");
    }
    return st;
  }
  // InSavepoint runs `body` inside the caller's transaction so that its failure undoes only what
  // it wrote (SAVEPOINT ... RELEASE, or ROLLBACK TO on failure).
  template <typename Fn>
  Status InSavepoint(Fn&& body) {
    ANCHOR_TRY(Exec("SAVEPOINT one"));
    Status st = body();
    if (!st) {
      (void)Exec("ROLLBACK TO one");
    }
    (void)Exec("RELEASE one");
    return st;
  }
  int64_t Changes() const { return ::sqlite3_changes(db_.get()); }
  int64_t LastInsertRowid() const { return ::sqlite3_last_insert_rowid(db_.get()); }

  std::mutex mu;

 private:
  explicit Connection(Db db) : db_(std::move(db)) {}
  Db db_;
  std::map<std::string, Stmt> statements_;
};

}  // namespace anchor::store::sqlite
