// SPDX-License-Identifier: Apache-2.0
// File: connection.cc: one SQLite connection, its statement cache and its transactions.
#include "store/sqlite/connection.h"

#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace anchor::store::sqlite {

ScopedStatement::ScopedStatement(ScopedStatement&& other) noexcept
    : s_(std::exchange(other.s_, nullptr)) {}

ScopedStatement::~ScopedStatement() {
  if (s_ != nullptr) {
    ::sqlite3_reset(s_);
  }
}

Binder::Binder(sqlite3_stmt* s) : s_(s) {
  ::sqlite3_reset(s_);
  ::sqlite3_clear_bindings(s_);
}

Binder& Binder::Text(std::string_view v) {
  ::sqlite3_bind_text(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Binder& Binder::Int(int64_t v) {
  ::sqlite3_bind_int64(s_, ++i_, v);
  return *this;
}

Binder& Binder::Null() {
  ::sqlite3_bind_null(s_, ++i_);
  return *this;
}

Binder& Binder::Blob(const std::vector<uint8_t>& v) {
  ::sqlite3_bind_blob(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

std::string ColumnText(sqlite3_stmt* s, int col) {
  const auto* text = ::sqlite3_column_text(s, col);
  return text == nullptr ? ""
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(::sqlite3_column_bytes(s, col)));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used under its owner's mutex, never by two threads at once.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = ::sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Error(Code::kUnavailable,
                 "cannot open database " + path + ": " +
                     (raw != nullptr ? ::sqlite3_errmsg(raw) : "out of memory"));
  }
  // Wait for other connections (this process's others, other processes) before anything else,
  // including the PRAGMAs the caller runs, which take locks of their own.
  ::sqlite3_busy_timeout(raw, 10000);
  return std::unique_ptr<Connection>(new Connection(std::move(db)));
}

Status Connection::Exec(const std::string& sql) {
  if (::sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    // The first word names the statement ("COMMIT", "BEGIN", "PRAGMA"), enough for a log.
    return SqlError("the CA database (" + sql.substr(0, sql.find(' ')) + ")");
  }
  return OkStatus();
}

Result<ScopedStatement> Connection::Prepared(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    return ScopedStatement(it->second.get());
  }
  sqlite3_stmt* s = nullptr;
  if (::sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
      SQLITE_OK) {
    return SqlError("preparing statement");
  }
  return ScopedStatement(statements_.emplace(sql, Stmt(s)).first->second.get());
}

Error Connection::SqlError(std::string_view what) const {
  const int rc = ::sqlite3_extended_errcode(db_.get());
  return Error(CodeForSqlite(rc), std::string(what) + ": " + ::sqlite3_errmsg(db_.get()));
}

}  // namespace anchor::store::sqlite
