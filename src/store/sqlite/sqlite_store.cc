// SPDX-License-Identifier: Apache-2.0
// File: sqlite_store.cc: `Store` over SQLite, one connection guarded by a mutex.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <memory>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "core/text.h"
#include "store/audit_chain.h"
#include "store/sqlite/migrations.h"

namespace anchor::store {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { ::sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { ::sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Error SqlError(sqlite3* db, std::string_view what) {
  const int rc = ::sqlite3_extended_errcode(db);
  return Error(CodeForSqlite(rc), std::string(what) + ": " + ::sqlite3_errmsg(db));
}

std::string JoinLines(const std::vector<std::string>& items) { return Join(items, "\n"); }

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

// ScopedStatement is a cached statement lent for one use: it is reset when the scope ends, so no
// half-read statement keeps a read snapshot open (which would make this connection's next write
// fail at once with SQLITE_BUSY_SNAPSHOT instead of waiting).
class ScopedStatement {
 public:
  explicit ScopedStatement(sqlite3_stmt* s) : s_(s) {}
  ScopedStatement(ScopedStatement&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ~ScopedStatement() {
    if (s_ != nullptr) {
      ::sqlite3_reset(s_);
    }
  }
  operator sqlite3_stmt*() const { return s_; }  // NOLINT: used where the C API wants the pointer

 private:
  sqlite3_stmt* s_;
};

// Binder binds parameters left to right, so call sites read like the SQL.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* s) : s_(s) { ::sqlite3_reset(s_); ::sqlite3_clear_bindings(s_); }
  Binder& Text(std::string_view v) {
    ::sqlite3_bind_text(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Binder& Int(int64_t v) {
    ::sqlite3_bind_int64(s_, ++i_, v);
    return *this;
  }
  Binder& Null() {
    ::sqlite3_bind_null(s_, ++i_);
    return *this;
  }
  Binder& Blob(const std::vector<uint8_t>& v) {
    ::sqlite3_bind_blob(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }

 private:
  sqlite3_stmt* s_;
  int i_ = 0;
};

std::string ColumnText(sqlite3_stmt* s, int col) {
  const auto* text = ::sqlite3_column_text(s, col);
  return text == nullptr ? "" : std::string(reinterpret_cast<const char*>(text),
                                            static_cast<size_t>(::sqlite3_column_bytes(s, col)));
}

constexpr char kCertColumns[] =
    "serial, issuer, subject, common_name, sans, profile, not_before, not_after, status, "
    "revoked_at, revocation_reason, der, fingerprint, token_hash, created_at";

CertificateRecord ReadCert(sqlite3_stmt* s) {
  CertificateRecord r;
  r.serial = ColumnText(s, 0);
  r.issuer = ColumnText(s, 1);
  r.subject = ColumnText(s, 2);
  r.common_name = ColumnText(s, 3);
  r.sans = SplitLines(ColumnText(s, 4));
  r.profile = ColumnText(s, 5);
  r.not_before = ::sqlite3_column_int64(s, 6);
  r.not_after = ::sqlite3_column_int64(s, 7);
  r.revoked = ColumnText(s, 8) == "revoked";
  r.revoked_at = ::sqlite3_column_int64(s, 9);
  r.revocation_reason = ::sqlite3_column_int(s, 10);
  const auto* blob = static_cast<const uint8_t*>(::sqlite3_column_blob(s, 11));
  r.der.assign(blob, blob + ::sqlite3_column_bytes(s, 11));
  r.fingerprint = ColumnText(s, 12);
  r.token_hash = ColumnText(s, 13);
  r.created_at = ::sqlite3_column_int64(s, 14);
  return r;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(Db db) : db_(std::move(db)) {}

  Status Init() {
    // Wait for other connections (other processes, `anchor serve` replicas) before anything else,
    // including the PRAGMAs below, which take locks of their own.
    ::sqlite3_busy_timeout(db_.get(), 10000);
    ANCHOR_TRY(Exec("PRAGMA journal_mode=WAL"));
    // FULL: a committed certificate row survives power loss, as the rules of trust require
    // before a certificate is handed out.
    ANCHOR_TRY(Exec("PRAGMA synchronous=FULL"));
    ANCHOR_TRY(Exec("PRAGMA foreign_keys=ON"));
    return Migrate();
  }

  Status InsertCertificates(std::span<const CertificateRecord> records, int64_t now) override {
    std::lock_guard lock(mu_);
    return InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(ScopedStatement insert,
                              Prepared("INSERT INTO certificates (" + std::string(kCertColumns) +
                                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
      for (const CertificateRecord& r : records) {
        Binder b(insert);
        b.Text(r.serial).Text(r.issuer).Text(r.subject).Text(r.common_name);
        b.Text(JoinLines(r.sans)).Text(r.profile).Int(r.not_before).Int(r.not_after);
        b.Text("valid").Null().Null().Blob(r.der).Text(r.fingerprint);
        r.token_hash.empty() ? b.Null() : b.Text(r.token_hash);
        b.Int(now);
        if (::sqlite3_step(insert) != SQLITE_DONE) {
          return SqlError(db_.get(), "recording certificate " + r.serial);
        }
        std::string detail = "profile=" + r.profile;
        if (!r.token_hash.empty()) {
          ANCHOR_TRY(ConsumeTokenLocked(r.token_hash, r.serial, now));
          detail += " token=" + r.token_hash.substr(0, 12);
        }
        ANCHOR_TRY(AppendAuditLocked("issue", r.serial, r.subject, detail, now));
      }
      return OkStatus();
    });
  }

  Result<CertificateRecord> FindBySerial(std::string_view serial) override {
    std::lock_guard lock(mu_);
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, Prepared("SELECT " + std::string(kCertColumns) +
                                                       " FROM certificates WHERE serial = ?"));
    Binder(s).Text(ToLower(serial));
    const int rc = ::sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      return ReadCert(s);
    }
    if (rc == SQLITE_DONE) {
      return Error(Code::kNotFound, "no certificate with serial " + std::string(serial));
    }
    return SqlError(db_.get(), "reading certificate");
  }

  Result<std::vector<CertificateRecord>> List(const ListFilter& f) override {
    std::lock_guard lock(mu_);
    std::string sql = "SELECT " + std::string(kCertColumns) + " FROM certificates WHERE 1=1";
    switch (f.status) {
      case StatusFilter::kAny: break;
      case StatusFilter::kValid: sql += " AND status = 'valid' AND not_after > ?"; break;
      case StatusFilter::kRevoked: sql += " AND status = 'revoked'"; break;
      case StatusFilter::kExpired: sql += " AND status = 'valid' AND not_after <= ?"; break;
    }
    if (f.expiring_before) {
      sql += " AND status = 'valid' AND not_after > ? AND not_after < ?";
    }
    if (!f.profile.empty()) {
      sql += " AND profile = ?";
    }
    sql += " ORDER BY created_at DESC, serial";
    if (f.limit > 0) {
      sql += " LIMIT " + std::to_string(f.limit);
    }
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, Prepared(sql));
    Binder b(s);
    if (f.status == StatusFilter::kValid || f.status == StatusFilter::kExpired) {
      b.Int(f.now);
    }
    if (f.expiring_before) {
      b.Int(f.now).Int(*f.expiring_before);
    }
    if (!f.profile.empty()) {
      b.Text(f.profile);
    }
    return CollectCerts(s);
  }

  Result<int64_t> CountCertificates() override {
    std::lock_guard lock(mu_);
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, Prepared("SELECT COUNT(*) FROM certificates"));
    Binder{s};
    if (::sqlite3_step(s) != SQLITE_ROW) {
      return SqlError(db_.get(), "counting certificates");
    }
    return ::sqlite3_column_int64(s, 0);
  }

  Result<RevocationEvent> Revoke(std::string_view serial, int64_t revoked_at, int reason,
                                 std::string_view detail) override {
    std::lock_guard lock(mu_);
    RevocationEvent event{0, ToLower(serial), revoked_at, reason};
    Status st = InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(ScopedStatement find,
                              Prepared("SELECT status, subject FROM certificates WHERE serial = ?"));
      Binder(find).Text(event.serial);
      const int rc = ::sqlite3_step(find);
      if (rc == SQLITE_DONE) {
        return Error(Code::kNotFound, "no certificate with serial " + event.serial +
                                          "; see `anchor list` for the serials this CA issued");
      }
      if (rc != SQLITE_ROW) {
        return SqlError(db_.get(), "reading certificate");
      }
      if (ColumnText(find, 0) == "revoked") {
        return Error(Code::kFailedPrecondition, "certificate " + event.serial + " is already revoked");
      }
      const std::string subject = ColumnText(find, 1);
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement update,
          Prepared("UPDATE certificates SET status = 'revoked', revoked_at = ?, "
                   "revocation_reason = ? WHERE serial = ?"));
      Binder(update).Int(revoked_at).Int(reason).Text(event.serial);
      if (::sqlite3_step(update) != SQLITE_DONE) {
        return SqlError(db_.get(), "revoking");
      }
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement seq,
          Prepared("INSERT INTO revocations (serial, revoked_at, reason) VALUES (?, ?, ?)"));
      Binder(seq).Text(event.serial).Int(revoked_at).Int(reason);
      if (::sqlite3_step(seq) != SQLITE_DONE) {
        return SqlError(db_.get(), "appending to the revocation sequence");
      }
      event.seq = ::sqlite3_last_insert_rowid(db_.get());
      return AppendAuditLocked("revoke", event.serial, subject, detail, revoked_at);
    });
    if (!st) {
      return st.error();
    }
    return event;
  }

  Result<std::vector<CertificateRecord>> RevokedUnexpired(int64_t now) override {
    std::lock_guard lock(mu_);
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement s,
        Prepared("SELECT " + std::string(kCertColumns) +
                 " FROM certificates WHERE status = 'revoked' AND not_after > ? ORDER BY serial"));
    Binder(s).Int(now);
    return CollectCerts(s);
  }

  Result<std::vector<RevocationEvent>> RevocationsSince(int64_t cursor, size_t limit) override {
    std::lock_guard lock(mu_);
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement s,
        Prepared("SELECT seq, serial, revoked_at, reason FROM revocations WHERE seq > ? "
                 "ORDER BY seq LIMIT ?"));
    Binder(s).Int(cursor).Int(static_cast<int64_t>(limit));
    std::vector<RevocationEvent> out;
    int rc = 0;
    while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) {
      out.push_back({::sqlite3_column_int64(s, 0), ColumnText(s, 1), ::sqlite3_column_int64(s, 2),
                     ::sqlite3_column_int(s, 3)});
    }
    if (rc != SQLITE_DONE) {
      return SqlError(db_.get(), "reading revocations");
    }
    return out;
  }

  Result<int64_t> NextCrlNumber(int64_t now) override {
    std::lock_guard lock(mu_);
    int64_t number = 0;
    Status st = InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement s,
          Prepared("UPDATE crl_numbers SET last = last + 1 WHERE id = 1 RETURNING last"));
      Binder{s};
      if (::sqlite3_step(s) != SQLITE_ROW) {
        return SqlError(db_.get(), "advancing the CRL number");
      }
      number = ::sqlite3_column_int64(s, 0);
      (void)::sqlite3_step(s);
      return AppendAuditLocked("crl", "", "", "number=" + std::to_string(number), now);
    });
    if (!st) {
      return st.error();
    }
    return number;
  }

  Status InsertToken(const TokenRecord& t, int64_t now) override {
    std::lock_guard lock(mu_);
    return InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement insert,
          Prepared("INSERT INTO tokens (hash, common_name, sans, profile, created_at, expires_at) "
                   "VALUES (?,?,?,?,?,?)"));
      Binder(insert).Text(t.hash).Text(t.common_name).Text(JoinLines(t.sans)).Text(t.profile)
          .Int(t.created_at).Int(t.expires_at);
      if (::sqlite3_step(insert) != SQLITE_DONE) {
        return SqlError(db_.get(), "recording the token");
      }
      return AppendAuditLocked("token", "", "CN=" + t.common_name,
                               "profile=" + t.profile + " token=" + t.hash.substr(0, 12) +
                                   " expires=" + std::to_string(t.expires_at),
                               now);
    });
  }

  Result<TokenRecord> FindToken(std::string_view hash) override {
    std::lock_guard lock(mu_);
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement s,
        Prepared("SELECT hash, common_name, sans, profile, created_at, expires_at, used_at, "
                 "used_by FROM tokens WHERE hash = ?"));
    Binder(s).Text(hash);
    const int rc = ::sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return Error(Code::kNotFound, "unknown token");
    }
    if (rc != SQLITE_ROW) {
      return SqlError(db_.get(), "reading the token");
    }
    return TokenRecord{ColumnText(s, 0), ColumnText(s, 1), SplitLines(ColumnText(s, 2)),
                       ColumnText(s, 3), ::sqlite3_column_int64(s, 4),
                       ::sqlite3_column_int64(s, 5), ::sqlite3_column_int64(s, 6),
                       ColumnText(s, 7)};
  }

  Status AppendAudit(std::string_view action, std::string_view serial, std::string_view subject,
                     std::string_view detail, int64_t now) override {
    std::lock_guard lock(mu_);
    return InTransaction(
        [&]() { return AppendAuditLocked(action, serial, subject, detail, now); });
  }

  Result<std::vector<AuditEntry>> AuditLog() override {
    std::lock_guard lock(mu_);
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement s,
        Prepared("SELECT seq, time, action, serial, subject, detail, prev_hash, hash "
                 "FROM audit_log ORDER BY seq"));
    Binder{s};
    std::vector<AuditEntry> out;
    int rc = 0;
    while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) {
      out.push_back({::sqlite3_column_int64(s, 0), ::sqlite3_column_int64(s, 1), ColumnText(s, 2),
                     ColumnText(s, 3), ColumnText(s, 4), ColumnText(s, 5), ColumnText(s, 6),
                     ColumnText(s, 7)});
    }
    if (rc != SQLITE_DONE) {
      return SqlError(db_.get(), "reading the audit log");
    }
    return out;
  }

 private:
  Status Exec(const std::string& sql) {
    if (::sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      // The first word names the statement ("COMMIT", "BEGIN", "PRAGMA"), enough for a log.
      return SqlError(db_.get(), "the CA database (" + sql.substr(0, sql.find(' ')) + ")");
    }
    return OkStatus();
  }

  // Prepared lends the cached statement for `sql`, prepared once per connection.
  Result<ScopedStatement> Prepared(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      return ScopedStatement(it->second.get());
    }
    sqlite3_stmt* s = nullptr;
    if (::sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s,
                             nullptr) != SQLITE_OK) {
      return SqlError(db_.get(), "preparing statement");
    }
    return ScopedStatement(statements_.emplace(sql, Stmt(s)).first->second.get());
  }

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

  Result<std::vector<CertificateRecord>> CollectCerts(sqlite3_stmt* s) {
    std::vector<CertificateRecord> out;
    int rc = 0;
    while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) {
      out.push_back(ReadCert(s));
    }
    if (rc != SQLITE_DONE) {
      return SqlError(db_.get(), "listing certificates");
    }
    return out;
  }

  // ConsumeTokenLocked marks the token used by `serial`, only if it is unused and unexpired; the
  // caller holds the transaction, so a failure rolls back the certificate row too.
  Status ConsumeTokenLocked(std::string_view hash, std::string_view serial, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement use,
        Prepared("UPDATE tokens SET used_at = ?, used_by = ? "
                 "WHERE hash = ? AND used_at IS NULL AND expires_at > ?"));
    Binder(use).Int(now).Text(serial).Text(hash).Int(now);
    if (::sqlite3_step(use) != SQLITE_DONE) {
      return SqlError(db_.get(), "consuming the token");
    }
    if (::sqlite3_changes(db_.get()) != 1) {
      return Error(Code::kUnauthenticated, "the enrollment token is unknown, expired or already used");
    }
    return OkStatus();
  }

  // AppendAuditLocked chains a new entry to the last one; the caller holds a transaction.
  Status AppendAuditLocked(std::string_view action, std::string_view serial,
                           std::string_view subject, std::string_view detail, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement last,
                            Prepared("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
    Binder{last};
    AuditEntry e;
    e.seq = 1;
    e.prev_hash = kAuditGenesisHash;
    if (::sqlite3_step(last) == SQLITE_ROW) {
      e.seq = ::sqlite3_column_int64(last, 0) + 1;
      e.prev_hash = ColumnText(last, 1);
    }
    ::sqlite3_reset(last);
    e.time = now;
    e.action = action;
    e.serial = serial;
    e.subject = subject;
    e.detail = detail;
    e.hash = AuditHash(e);
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement insert,
        Prepared("INSERT INTO audit_log (seq, time, action, serial, subject, detail, prev_hash, "
                 "hash) VALUES (?,?,?,?,?,?,?,?)"));
    Binder(insert).Int(e.seq).Int(e.time).Text(e.action).Text(e.serial).Text(e.subject)
        .Text(e.detail).Text(e.prev_hash).Text(e.hash);
    if (::sqlite3_step(insert) != SQLITE_DONE) {
      return SqlError(db_.get(), "appending to the audit log");
    }
    return OkStatus();
  }

  Status Migrate() {
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, Prepared("PRAGMA user_version"));
    Binder{s};
    if (::sqlite3_step(s) != SQLITE_ROW) {
      return SqlError(db_.get(), "reading the schema version");
    }
    const int64_t version = ::sqlite3_column_int64(s, 0);
    ::sqlite3_reset(s);
    const auto steps = sqlite::Migrations();
    if (version > static_cast<int64_t>(steps.size())) {
      return Error(Code::kFailedPrecondition,
                   "the database schema (version " + std::to_string(version) +
                       ") is newer than this anchor understands; upgrade anchor");
    }
    for (size_t v = static_cast<size_t>(version); v < steps.size(); ++v) {
      ANCHOR_TRY(InTransaction([&]() -> Status {
        ANCHOR_TRY(Exec(std::string(steps[v])));
        return Exec("PRAGMA user_version = " + std::to_string(v + 1));
      }));
    }
    return OkStatus();
  }

  std::mutex mu_;
  Db db_;
  std::map<std::string, Stmt> statements_;
};

}  // namespace

// A store that cannot be written now (disk full, I/O error, read-only file, locked, out of
// memory) is not the client's fault, and passes once the operator frees space or fixes the file:
// kUnavailable, so that clients retry (503 + Retry-After) and agents keep their schedule.
Code CodeForSqlite(int result_code) {
  switch (result_code) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return Code::kAlreadyExists;
  }
  switch (result_code & 0xff) {  // the primary result code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Code::kUnavailable;
  }
  return Code::kInternal;
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = ::sqlite3_open_v2(path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Error(Code::kUnavailable, "cannot open database " + path + ": " +
                                         (raw != nullptr ? ::sqlite3_errmsg(raw) : "out of memory"));
  }
  auto store = std::make_unique<SqliteStore>(std::move(db));
  auto st = store->Init();
  if (!st) {
    return st.error().Prefixed(path);
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace anchor::store
