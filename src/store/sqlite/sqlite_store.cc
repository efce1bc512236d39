// SPDX-License-Identifier: Apache-2.0
// File: sqlite_store.cc: `Store` over SQLite: one writing connection, a few reading ones.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

#include "core/text.h"
#include "store/audit_chain.h"
#include "store/schema_text.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"

namespace anchor::store {
namespace {

using sqlite::Binder;
using sqlite::ColumnText;
using sqlite::Connection;
using sqlite::ScopedStatement;

// kReaders is how many connections serve reads beside the writer: enough for the server's io
// threads and its workers to read in parallel; each holds its own page cache.
constexpr size_t kReaders = 8;

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
  r.renews = ColumnText(s, 15);
  r.issuer_fingerprint = ColumnText(s, 16);
  return r;
}

// ReadToken and ReadAudit read one row of kTokenColumns and kAuditColumns.
TokenRecord ReadToken(sqlite3_stmt* s) {
  return TokenRecord{ColumnText(s, 0),
                     ColumnText(s, 1),
                     SplitLines(ColumnText(s, 2)),
                     ColumnText(s, 3),
                     ::sqlite3_column_int64(s, 4),
                     ::sqlite3_column_int64(s, 5),
                     ::sqlite3_column_int64(s, 6),
                     ColumnText(s, 7)};
}

AuditEntry ReadAudit(sqlite3_stmt* s) {
  return AuditEntry{::sqlite3_column_int64(s, 0),
                    ::sqlite3_column_int64(s, 1),
                    ColumnText(s, 2),
                    ColumnText(s, 3),
                    ColumnText(s, 4),
                    ColumnText(s, 5),
                    ColumnText(s, 6),
                    ColumnText(s, 7)};
}

// ReadAll steps `s` to its end, reading each row with `read`; `what` names a failure.
template <typename T, typename ReadRow>
Result<std::vector<T>> ReadAll(Connection& c, sqlite3_stmt* s, ReadRow read,
                               std::string_view what) {
  std::vector<T> out;
  int rc = 0;
  while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back(read(s));
  }
  if (rc != SQLITE_DONE) {
    return c.SqlError(what);
  }
  return out;
}

// AuditEntries reads the audit log, oldest first (at most `limit` entries, 0: all).
Result<std::vector<AuditEntry>> AuditEntries(Connection& c, size_t limit = 0) {
  ANCHOR_ASSIGN_OR_RETURN(
      ScopedStatement s,
      c.Prepared("SELECT " + std::string(kAuditColumns) + " FROM audit_log ORDER BY seq" +
                 (limit > 0 ? " LIMIT " + std::to_string(limit) : std::string())));
  Binder{s};
  return ReadAll<AuditEntry>(c, s, ReadAudit, "reading the audit log");
}

// Revocations reads the revocation sequence after `cursor`, oldest first, at most `limit` events
// (0: all).
Result<std::vector<RevocationEvent>> Revocations(Connection& c, int64_t cursor, size_t limit) {
  ANCHOR_ASSIGN_OR_RETURN(
      ScopedStatement s,
      c.Prepared("SELECT seq, serial, revoked_at, reason FROM revocations WHERE seq > ? "
                 "ORDER BY seq LIMIT ?"));
  // SQLite: a negative LIMIT is none.
  Binder(s).Int(cursor).Int(limit > 0 ? static_cast<int64_t>(limit) : -1);
  return ReadAll<RevocationEvent>(
      c, s,
      [](sqlite3_stmt* row) {
        return RevocationEvent{::sqlite3_column_int64(row, 0), ColumnText(row, 1),
                               ::sqlite3_column_int64(row, 2), ::sqlite3_column_int(row, 3)};
      },
      "reading revocations");
}

StoredCrl ReadCrl(sqlite3_stmt* s) {
  StoredCrl crl;
  crl.issuer_fingerprint = ColumnText(s, 0);
  crl.number = ::sqlite3_column_int64(s, 1);
  crl.revocation_cursor = ::sqlite3_column_int64(s, 2);
  crl.this_update = ::sqlite3_column_int64(s, 3);
  crl.next_update = ::sqlite3_column_int64(s, 4);
  const auto* blob = static_cast<const uint8_t*>(::sqlite3_column_blob(s, 5));
  crl.der.assign(blob, blob + ::sqlite3_column_bytes(s, 5));
  crl.built_by = ColumnText(s, 6);
  crl.created_at = ::sqlite3_column_int64(s, 7);
  return crl;
}

// NewestCrlOf reads the stored CRL of `issuer` with the highest number.
Result<std::optional<StoredCrl>> NewestCrlOf(Connection& c, const std::string& issuer) {
  ANCHOR_ASSIGN_OR_RETURN(
      ScopedStatement s,
      c.Prepared("SELECT " + std::string(kCrlColumns) +
                 " FROM crls WHERE issuer_fingerprint = ? ORDER BY crl_number DESC LIMIT 1"));
  Binder(s).Text(issuer);
  const int rc = ::sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    return std::optional<StoredCrl>(ReadCrl(s));
  }
  if (rc != SQLITE_DONE) {
    return c.SqlError("reading the newest CRL");
  }
  return std::optional<StoredCrl>();
}

// QueryInt runs `sql`, which returns one integer.
Result<int64_t> QueryInt(Connection& c, const std::string& sql, std::string_view what) {
  ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepared(sql));
  Binder{s};
  if (::sqlite3_step(s) != SQLITE_ROW) {
    return c.SqlError(what);
  }
  return ::sqlite3_column_int64(s, 0);
}

// RevokedOf reads what the CRL of `issuer` lists at `now`, from the partial index
// certificates_revoked_by_issuer alone (migration v5).
Result<std::vector<RevokedEntry>> RevokedOf(Connection& c, const std::string& issuer, int64_t now) {
  ANCHOR_ASSIGN_OR_RETURN(
      ScopedStatement s,
      c.Prepared("SELECT serial, revoked_at, revocation_reason FROM certificates "
                 "INDEXED BY certificates_revoked_by_issuer WHERE status = 'revoked' AND "
                 "issuer_fingerprint = ? AND not_after > ?"));
  Binder(s).Text(issuer).Int(now);
  std::vector<RevokedEntry> out;
  int rc = 0;
  while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back({ColumnText(s, 0), ::sqlite3_column_int64(s, 1), ::sqlite3_column_int(s, 2)});
  }
  if (rc != SQLITE_DONE) {
    return c.SqlError("reading the revoked certificates");
  }
  return out;
}

// kCrlAttempts bounds the drafts PublishCrl makes when another process keeps taking the number.
constexpr int kCrlAttempts = 3;

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Connection> writer) : writer_(std::move(writer)) {}

  Status Init() {
    Connection& c = *writer_;
    ANCHOR_TRY(c.Exec("PRAGMA journal_mode=WAL"));
    // FULL: a committed certificate row survives power loss, as the rules of trust require
    // before a certificate is handed out.
    ANCHOR_TRY(c.Exec("PRAGMA synchronous=FULL"));
    ANCHOR_TRY(c.Exec("PRAGMA foreign_keys=ON"));
    return Migrate(c);
  }

  // OpenReaders opens `count` more connections to `path` for the read methods. In WAL mode
  // readers never wait for the writer, so an OCSP answer or a token lookup is not queued behind
  // a commit's fsync. Without them (an in-memory database, which another connection cannot
  // see) reads share the writer.
  Status OpenReaders(const std::string& path, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                              Connection::Open(path, /*create=*/false));
      ANCHOR_TRY(reader->Exec("PRAGMA query_only=ON"));
      readers_.push_back(std::move(reader));
    }
    return OkStatus();
  }

  Status InsertCertificates(std::span<const CertificateRecord> records, int64_t now) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    return c.InTransaction([&]() -> Status {
      for (const CertificateRecord& r : records) {
        ANCHOR_TRY(InsertOne(c, r, now));
      }
      return OkStatus();
    });
  }

  Result<std::vector<Status>> InsertEach(std::span<const CertificateRecord> records,
                                         int64_t now) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    std::vector<Status> each;
    each.reserve(records.size());
    Status st = c.InTransaction([&]() -> Status {
      for (const CertificateRecord& r : records) {
        each.push_back(c.InSavepoint([&] { return InsertOne(c, r, now); }));
        // A record refused by a constraint fails alone; the database failing fails them all.
        if (!each.back() && each.back().error().code() == Code::kUnavailable) {
          return each.back().error();
        }
      }
      return OkStatus();
    });
    if (!st) {
      return st.error();
    }
    return each;
  }

  Result<CertificateRecord> FindBySerial(std::string_view serial) override {
    Lease lease = Read();
    Connection& c = lease.connection;
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepared("SELECT " + std::string(kCertColumns) +
                                                          " FROM certificates WHERE serial = ?"));
    Binder(s).Text(ToLower(serial));
    const int rc = ::sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      return ReadCert(s);
    }
    if (rc == SQLITE_DONE) {
      return Error(Code::kNotFound, "no certificate with serial " + std::string(serial));
    }
    return c.SqlError("reading certificate");
  }

  Result<std::vector<CertificateRecord>> List(const ListFilter& f) override {
    Lease lease = Read();
    Connection& c = lease.connection;
    std::string sql = "SELECT " + std::string(kCertColumns) + " FROM certificates WHERE 1=1";
    switch (f.status) {
      case StatusFilter::kAny:
        break;
      case StatusFilter::kValid:
        sql += " AND status = 'valid' AND not_after > ?";
        break;
      case StatusFilter::kRevoked:
        sql += " AND status = 'revoked'";
        break;
      case StatusFilter::kExpired:
        sql += " AND status = 'valid' AND not_after <= ?";
        break;
    }
    if (f.expiring_before) {
      sql += " AND status = 'valid' AND not_after > ? AND not_after < ?";
    }
    if (!f.profile.empty()) {
      sql += " AND profile = ?";
    }
    if (!f.common_name.empty()) {
      sql += " AND common_name = ?";  // certificates_by_cn (migration v4)
    }
    sql += " ORDER BY created_at DESC, serial";
    if (f.limit > 0) {
      sql += " LIMIT " + std::to_string(f.limit);
    }
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepared(sql));
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
    if (!f.common_name.empty()) {
      b.Text(f.common_name);
    }
    return CollectCerts(c, s);
  }

  Result<int64_t> CountCertificates() override {
    Lease lease = Read();
    Connection& c = lease.connection;
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepared("SELECT COUNT(*) FROM certificates"));
    Binder{s};
    if (::sqlite3_step(s) != SQLITE_ROW) {
      return c.SqlError("counting certificates");
    }
    return ::sqlite3_column_int64(s, 0);
  }

  Result<StatusCounts> CountByStatus(int64_t now) override {
    Lease lease = Read();
    Connection& c = lease.connection;
    // Each count is a range of the index certificates_by_expiry (status, not_after).
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement s,
        c.Prepared(
            "SELECT (SELECT COUNT(*) FROM certificates WHERE status = 'valid' AND "
            "not_after > ?1), (SELECT COUNT(*) FROM certificates WHERE status = 'revoked'), "
            "(SELECT COUNT(*) FROM certificates WHERE status = 'valid' AND not_after <= ?1)"));
    ::sqlite3_bind_int64(s, 1, now);
    if (::sqlite3_step(s) != SQLITE_ROW) {
      return c.SqlError("counting certificates by status");
    }
    return StatusCounts{::sqlite3_column_int64(s, 0), ::sqlite3_column_int64(s, 1),
                        ::sqlite3_column_int64(s, 2)};
  }

  Result<RevocationEvent> Revoke(std::string_view serial, int64_t revoked_at, int reason,
                                 std::string_view detail) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    RevocationEvent event{0, ToLower(serial), revoked_at, reason};
    Status st = c.InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement find,
          c.Prepared("SELECT status, subject FROM certificates WHERE serial = ?"));
      Binder(find).Text(event.serial);
      const int rc = ::sqlite3_step(find);
      if (rc == SQLITE_DONE) {
        return Error(Code::kNotFound, "no certificate with serial " + event.serial +
                                          "; see `anchor list` for the serials this CA issued");
      }
      if (rc != SQLITE_ROW) {
        return c.SqlError("reading certificate");
      }
      if (ColumnText(find, 0) == "revoked") {
        return Error(Code::kFailedPrecondition,
                     "certificate " + event.serial + " is already revoked");
      }
      const std::string subject = ColumnText(find, 1);
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement update,
          c.Prepared("UPDATE certificates SET status = 'revoked', revoked_at = ?, "
                     "revocation_reason = ? WHERE serial = ?"));
      Binder(update).Int(revoked_at).Int(reason).Text(event.serial);
      if (::sqlite3_step(update) != SQLITE_DONE) {
        return c.SqlError("revoking");
      }
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement seq,
          c.Prepared("INSERT INTO revocations (serial, revoked_at, reason) VALUES (?, ?, ?)"));
      Binder(seq).Text(event.serial).Int(revoked_at).Int(reason);
      if (::sqlite3_step(seq) != SQLITE_DONE) {
        return c.SqlError("appending to the revocation sequence");
      }
      event.seq = c.LastInsertRowid();
      return AppendAudit(c, "revoke", event.serial, subject, detail, revoked_at);
    });
    if (!st) {
      return st.error();
    }
    revocations_.Notify();
    return event;
  }

  Result<std::vector<RevokedEntry>> RevokedUnexpired(std::string_view issuer_fingerprint,
                                                     int64_t now) override {
    Lease lease = Read();
    return RevokedOf(lease.connection, ToLower(issuer_fingerprint), now);
  }

  Result<int64_t> AttributeIssuer(std::string_view issuer_fingerprint) override {
    {
      // A read first: the common case (nothing to attribute) takes no write lock.
      Lease lease = Read();
      Connection& c = lease.connection;
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement s,
          c.Prepared("SELECT EXISTS (SELECT 1 FROM certificates INDEXED BY "
                     "certificates_unattributed WHERE issuer_fingerprint IS NULL)"));
      Binder{s};
      if (::sqlite3_step(s) != SQLITE_ROW) {
        return c.SqlError("looking for certificates without an issuer");
      }
      if (::sqlite3_column_int(s, 0) == 0) {
        return 0;
      }
    }
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    int64_t changed = 0;
    Status st = c.InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s,
                              c.Prepared("UPDATE certificates SET issuer_fingerprint = ? "
                                         "WHERE issuer_fingerprint IS NULL"));
      Binder(s).Text(ToLower(issuer_fingerprint));
      if (::sqlite3_step(s) != SQLITE_DONE) {
        return c.SqlError("recording the issuer of earlier certificates");
      }
      changed = c.Changes();
      return OkStatus();
    });
    if (!st) {
      return st.error();
    }
    return changed;
  }

  Result<std::vector<RevocationEvent>> RevocationsSince(int64_t cursor, size_t limit) override {
    if (limit == 0) {
      return std::vector<RevocationEvent>();  // Revocations reads 0 as "all"
    }
    Lease lease = Read();
    return Revocations(lease.connection, cursor, limit);
  }

  Result<int64_t> LatestRevocation() override {
    Lease lease = Read();
    return QueryInt(lease.connection, "SELECT COALESCE(MAX(seq), 0) FROM revocations",
                    "reading the latest revocation");
  }

  Result<StoredCrl> PublishCrl(const CrlRequest& request, const CrlSigner& sign) override {
    // One builder at a time in this process; the store's one writer is not held while it signs
    // (a CRL of 100,000 entries takes a few hundred milliseconds), so enrollments go on.
    std::lock_guard building(crl_mu_);
    const std::string issuer = ToLower(request.issuer_fingerprint);
    for (int attempt = 0; attempt < kCrlAttempts; ++attempt) {
      CrlDraft draft;
      {
        Lease lease = Read();
        Connection& c = lease.connection;
        if (request.reuse_after) {
          ANCHOR_ASSIGN_OR_RETURN(std::optional<StoredCrl> newest, NewestCrlOf(c, issuer));
          if (newest && newest->Serves(*request.reuse_after, request.now)) {
            return *std::move(newest);
          }
        }
        // The cursor first, then the list, which then holds every revocation up to it.
        ANCHOR_ASSIGN_OR_RETURN(draft.revocation_cursor,
                                QueryInt(c, "SELECT COALESCE(MAX(seq), 0) FROM revocations",
                                         "reading the revocation cursor"));
        ANCHOR_ASSIGN_OR_RETURN(draft.revoked, RevokedOf(c, issuer, request.now));
        ANCHOR_ASSIGN_OR_RETURN(
            const int64_t last,
            QueryInt(c, "SELECT last FROM crl_numbers WHERE id = 1", "reading the CRL number"));
        draft.number = last + 1;
      }
      ANCHOR_ASSIGN_OR_RETURN(SignedCrl signed_crl, sign(draft));
      StoredCrl crl = ToStoredCrl(issuer, draft, std::move(signed_crl), request.now);
      bool taken = false;  // by another process since the number was read
      Status st = RecordCrl(crl, draft, taken);
      if (taken) {
        continue;
      }
      if (!st) {
        return st.error();
      }
      return crl;
    }
    return Error(Code::kUnavailable,
                 "another process took the next CRL number each time this one had signed one; "
                 "try again");
  }

  Result<std::optional<StoredCrl>> NewestCrl(std::string_view issuer_fingerprint) override {
    Lease lease = Read();
    return NewestCrlOf(lease.connection, ToLower(issuer_fingerprint));
  }

  Status InsertToken(const TokenRecord& t, int64_t now) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    return c.InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement insert,
          c.Prepared(
              "INSERT INTO tokens (hash, common_name, sans, profile, created_at, expires_at) "
              "VALUES (?,?,?,?,?,?)"));
      Binder(insert)
          .Text(t.hash)
          .Text(t.common_name)
          .Text(JoinLines(t.sans))
          .Text(t.profile)
          .Int(t.created_at)
          .Int(t.expires_at);
      if (::sqlite3_step(insert) != SQLITE_DONE) {
        return c.SqlError("recording the token");
      }
      return AppendAudit(c, "token", "", "CN=" + t.common_name,
                         "profile=" + t.profile + " token=" + t.hash.substr(0, 12) +
                             " expires=" + std::to_string(t.expires_at),
                         now);
    });
  }

  Result<TokenRecord> FindToken(std::string_view hash) override {
    Lease lease = Read();
    Connection& c = lease.connection;
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepared("SELECT " + std::string(kTokenColumns) +
                                                          " FROM tokens WHERE hash = ?"));
    Binder(s).Text(hash);
    const int rc = ::sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return Error(Code::kNotFound, "unknown token");
    }
    if (rc != SQLITE_ROW) {
      return c.SqlError("reading the token");
    }
    return ReadToken(s);
  }

  Status AppendAudit(std::string_view action, std::string_view serial, std::string_view subject,
                     std::string_view detail, int64_t now) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    return c.InTransaction([&]() { return AppendAudit(c, action, serial, subject, detail, now); });
  }

  Result<std::vector<AuditEntry>> AuditLog() override {
    Lease lease = Read();
    return AuditEntries(lease.connection);
  }

  Result<std::optional<AuditEntry>> FirstAuditEntry() override {
    Lease lease = Read();
    ANCHOR_ASSIGN_OR_RETURN(std::vector<AuditEntry> first, AuditEntries(lease.connection, 1));
    return first.empty() ? std::optional<AuditEntry>() : std::optional<AuditEntry>(first.front());
  }

  Status Export(const std::function<Status(const StoreContents&)>& sink) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    // BEGIN IMMEDIATE: every other writer (another process's too) waits until `sink` is done.
    return c.InTransaction([&]() -> Status {
      StoreContents out;
      {
        ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s,
                                c.Prepared("SELECT " + std::string(kCertColumns) +
                                           " FROM certificates ORDER BY created_at, serial"));
        Binder{s};
        ANCHOR_ASSIGN_OR_RETURN(out.certificates, CollectCerts(c, s));
      }
      ANCHOR_ASSIGN_OR_RETURN(ScopedStatement tokens,
                              c.Prepared("SELECT " + std::string(kTokenColumns) +
                                         " FROM tokens ORDER BY created_at, hash"));
      Binder{tokens};
      ANCHOR_ASSIGN_OR_RETURN(out.tokens,
                              ReadAll<TokenRecord>(c, tokens, ReadToken, "reading the tokens"));
      ANCHOR_ASSIGN_OR_RETURN(out.revocations, Revocations(c, 0, 0));
      ANCHOR_ASSIGN_OR_RETURN(out.audit, AuditEntries(c));
      ANCHOR_ASSIGN_OR_RETURN(ScopedStatement crl,
                              c.Prepared("SELECT last FROM crl_numbers WHERE id = 1"));
      Binder{crl};
      if (::sqlite3_step(crl) != SQLITE_ROW) {
        return c.SqlError("reading the CRL number");
      }
      out.crl_number = ::sqlite3_column_int64(crl, 0);
      return sink(out);
    });
  }

  Status Import(const StoreContents& in) override {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    return c.InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement count,
          c.Prepared("SELECT (SELECT COUNT(*) FROM certificates) + (SELECT COUNT(*) FROM tokens) "
                     "+ (SELECT COUNT(*) FROM audit_log)"));
      Binder{count};
      if (::sqlite3_step(count) != SQLITE_ROW) {
        return c.SqlError("counting the records");
      }
      if (::sqlite3_column_int64(count, 0) != 0) {
        return Error(Code::kAlreadyExists, "the target store is not empty");
      }
      ::sqlite3_reset(count);
      // Certificates first without their `renews` (a renewal may share its parent's second),
      // then the links, the tokens and revocations that name them, the log and the counter.
      for (const CertificateRecord& r : in.certificates) {
        ANCHOR_ASSIGN_OR_RETURN(
            ScopedStatement insert,
            c.Prepared("INSERT INTO certificates (" + std::string(kCertColumns) +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
        Binder b(insert);
        b.Text(r.serial).Text(r.issuer).Text(r.subject).Text(r.common_name);
        b.Text(JoinLines(r.sans)).Text(r.profile).Int(r.not_before).Int(r.not_after);
        b.Text(r.revoked ? "revoked" : "valid");
        r.revoked ? b.Int(r.revoked_at) : b.Null();
        r.revoked ? b.Int(r.revocation_reason) : b.Null();
        b.Blob(r.der).Text(r.fingerprint);
        r.token_hash.empty() ? b.Null() : b.Text(r.token_hash);
        b.Int(r.created_at).Null();
        r.issuer_fingerprint.empty() ? b.Null() : b.Text(r.issuer_fingerprint);
        if (::sqlite3_step(insert) != SQLITE_DONE) {
          return c.SqlError("importing certificate " + r.serial);
        }
      }
      for (const CertificateRecord& r : in.certificates) {
        if (r.renews.empty()) {
          continue;
        }
        ANCHOR_ASSIGN_OR_RETURN(ScopedStatement link,
                                c.Prepared("UPDATE certificates SET renews = ? WHERE serial = ?"));
        Binder(link).Text(r.renews).Text(r.serial);
        if (::sqlite3_step(link) != SQLITE_DONE) {
          return c.SqlError("importing the renewal of " + r.serial);
        }
      }
      for (const TokenRecord& t : in.tokens) {
        ANCHOR_ASSIGN_OR_RETURN(
            ScopedStatement insert,
            c.Prepared("INSERT INTO tokens (hash, common_name, sans, profile, created_at, "
                       "expires_at, used_at, used_by) VALUES (?,?,?,?,?,?,?,?)"));
        Binder b(insert);
        b.Text(t.hash).Text(t.common_name).Text(JoinLines(t.sans)).Text(t.profile);
        b.Int(t.created_at).Int(t.expires_at);
        t.used_at != 0 ? b.Int(t.used_at) : b.Null();
        t.used_by.empty() ? b.Null() : b.Text(t.used_by);
        if (::sqlite3_step(insert) != SQLITE_DONE) {
          return c.SqlError("importing a token");
        }
      }
      for (const RevocationEvent& e : in.revocations) {
        ANCHOR_ASSIGN_OR_RETURN(ScopedStatement insert,
                                c.Prepared("INSERT INTO revocations (seq, serial, revoked_at, "
                                           "reason) VALUES (?, ?, ?, ?)"));
        Binder(insert).Int(e.seq).Text(e.serial).Int(e.revoked_at).Int(e.reason);
        if (::sqlite3_step(insert) != SQLITE_DONE) {
          return c.SqlError("importing revocation " + std::to_string(e.seq));
        }
      }
      for (const AuditEntry& e : in.audit) {
        ANCHOR_TRY(InsertAuditEntry(c, e));
      }
      ANCHOR_ASSIGN_OR_RETURN(ScopedStatement crl,
                              c.Prepared("UPDATE crl_numbers SET last = ? WHERE id = 1"));
      Binder(crl).Int(in.crl_number);
      if (::sqlite3_step(crl) != SQLITE_DONE) {
        return c.SqlError("importing the CRL number");
      }
      return OkStatus();
    });
  }

 private:
  // RecordCrl takes `crl`'s number, records it and audits it in one write transaction: the
  // number only if it is still the next one (else `taken`, and nothing is written); the DER of the
  // issuer's CRLs it supersedes is dropped.
  Status RecordCrl(const StoredCrl& crl, const CrlDraft& draft, bool& taken) {
    Connection& c = *writer_;
    std::lock_guard lock(c.mu);
    return c.InTransaction([&]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement number,
          c.Prepared("UPDATE crl_numbers SET last = ? WHERE id = 1 AND last = ?"));
      Binder(number).Int(crl.number).Int(crl.number - 1);
      if (::sqlite3_step(number) != SQLITE_DONE) {
        return c.SqlError("taking the CRL number");
      }
      if (c.Changes() != 1) {
        taken = true;
        return Error(Code::kAborted, "CRL number " + std::to_string(crl.number) + " was taken");
      }
      // Checked although the number makes it hold: what is stored only ever increases, in
      // number and in the revocations it covers.
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement insert,
          c.Prepared("INSERT INTO crls (" + std::string(kCrlColumns) +
                     ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, '', ?7 WHERE NOT EXISTS (SELECT 1 FROM "
                     "crls WHERE crl_number >= ?2 OR (issuer_fingerprint = ?1 AND "
                     "revocation_cursor > ?3))"));
      Binder(insert)
          .Text(crl.issuer_fingerprint)
          .Int(crl.number)
          .Int(crl.revocation_cursor)
          .Int(crl.this_update)
          .Int(crl.next_update)
          .Blob(crl.der)
          .Int(crl.created_at);
      if (::sqlite3_step(insert) != SQLITE_DONE) {
        return c.SqlError("recording CRL " + std::to_string(crl.number));
      }
      if (c.Changes() != 1) {
        return Error(Code::kAborted, "CRL " + std::to_string(crl.number) +
                                         " was not recorded: a CRL with a higher number, or one "
                                         "covering later revocations, is stored already");
      }
      ANCHOR_ASSIGN_OR_RETURN(
          ScopedStatement supersede,
          c.Prepared("UPDATE crls SET der = NULL WHERE issuer_fingerprint = ? AND crl_number < ? "
                     "AND der IS NOT NULL"));
      Binder(supersede).Text(crl.issuer_fingerprint).Int(crl.number);
      if (::sqlite3_step(supersede) != SQLITE_DONE) {
        return c.SqlError("dropping the DER of superseded CRLs");
      }
      return AppendAudit(c, "crl", "", "", CrlAuditDetail(draft, crl.issuer_fingerprint),
                         crl.created_at);
    });
  }

  // Reader lends a connection for reads: one of the readers, in turn, or else the writer.
  // Lease is a connection lent for one read, locked for as long as the lease lives.
  struct Lease {
    Connection& connection;
    std::unique_lock<std::mutex> lock;
  };

  // Read lends a reading connection: the first free one from a rotating start, so that a quick
  // read (an OCSP answer on an io thread) does not queue behind a long one (an admin listing)
  // while another reader is idle; only when all are busy does it wait, for the one in turn.
  // Without readers (an in-memory database) it lends the writer.
  Lease Read() {
    if (readers_.empty()) {
      return {*writer_, std::unique_lock(writer_->mu)};
    }
    const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < readers_.size(); ++i) {
      Connection& reader = *readers_[(start + i) % readers_.size()];
      std::unique_lock lock(reader.mu, std::try_to_lock);
      if (lock.owns_lock()) {
        return {reader, std::move(lock)};
      }
    }
    Connection& reader = *readers_[start % readers_.size()];
    return {reader, std::unique_lock(reader.mu)};
  }

  // InsertOne writes one certificate row, consumes its token and audits it; the caller holds the
  // transaction.
  Status InsertOne(Connection& c, const CertificateRecord& r, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement insert,
                            c.Prepared("INSERT INTO certificates (" + std::string(kCertColumns) +
                                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    Binder b(insert);
    b.Text(r.serial).Text(r.issuer).Text(r.subject).Text(r.common_name);
    b.Text(JoinLines(r.sans)).Text(r.profile).Int(r.not_before).Int(r.not_after);
    b.Text("valid").Null().Null().Blob(r.der).Text(r.fingerprint);
    r.token_hash.empty() ? b.Null() : b.Text(r.token_hash);
    b.Int(now);
    r.renews.empty() ? b.Null() : b.Text(r.renews);
    r.issuer_fingerprint.empty() ? b.Null() : b.Text(ToLower(r.issuer_fingerprint));
    if (!r.renews.empty()) {
      ANCHOR_TRY(CheckRenewable(c, r.renews));
    }
    if (::sqlite3_step(insert) != SQLITE_DONE) {
      return c.SqlError("recording certificate " + r.serial);
    }
    std::string detail = "profile=" + r.profile;
    if (!r.renews.empty()) {
      detail += " renews=" + r.renews;
    }
    if (!r.token_hash.empty()) {
      ANCHOR_TRY(ConsumeToken(c, r.token_hash, r.serial, now));
      detail += " token=" + r.token_hash.substr(0, 12);
    }
    return AppendAudit(c, "issue", r.serial, r.subject, detail, now);
  }

  Result<std::vector<CertificateRecord>> CollectCerts(Connection& c, sqlite3_stmt* s) {
    std::vector<CertificateRecord> out;
    int rc = 0;
    while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) {
      out.push_back(ReadCert(s));
    }
    if (rc != SQLITE_DONE) {
      return c.SqlError("listing certificates");
    }
    return out;
  }

  // CheckRenewable refuses (kUnauthenticated) a renewal of a certificate revoked since the
  // renewal was authorised: it runs in the transaction that records the new certificate, so a
  // revocation commits either before it (the renewal is refused) or after it (and the renewal's
  // row is older than the revocation, as its audit entry shows).
  Status CheckRenewable(Connection& c, std::string_view serial) {
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s,
                            c.Prepared("SELECT status FROM certificates WHERE serial = ?"));
    Binder(s).Text(serial);
    const int rc = ::sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return c.SqlError("reading the certificate being renewed");
    }
    if (rc == SQLITE_DONE || ColumnText(s, 0) == "revoked") {
      return Error(Code::kUnauthenticated, "client certificate " + std::string(serial) +
                                               " was revoked while it was being renewed");
    }
    return NoRevokedRenewal(c, serial);
  }

  // NoRevokedRenewal refuses (kUnauthenticated) renewing a certificate when a certificate renewed
  // from it, at any depth, is revoked: revoking a renewal must not leave the certificate it
  // replaced free to fork a new one. A walk down certificates_by_renews.
  Status NoRevokedRenewal(Connection& c, std::string_view serial) {
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement s,
        c.Prepared(
            "WITH RECURSIVE lineage(serial) AS ("
            "  SELECT serial FROM certificates WHERE renews = ?"
            "  UNION SELECT c.serial FROM certificates c JOIN lineage l ON c.renews = l.serial)"
            " SELECT c.serial FROM certificates c JOIN lineage l ON c.serial = l.serial"
            " WHERE c.status = 'revoked' LIMIT 1"));
    Binder(s).Text(serial);
    const int rc = ::sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      return Error(Code::kUnauthenticated,
                   "client certificate " + std::string(serial) +
                       " cannot be renewed: " + ColumnText(s, 0) +
                       ", renewed from it, is revoked; enroll again with a token");
    }
    if (rc != SQLITE_DONE) {
      return c.SqlError("reading the renewals of the certificate being renewed");
    }
    return OkStatus();
  }

  // ConsumeToken marks the token used by `serial`, only if it is unused and unexpired; the
  // caller holds the transaction, so a failure rolls back the certificate row too.
  Status ConsumeToken(Connection& c, std::string_view hash, std::string_view serial, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement use,
                            c.Prepared("UPDATE tokens SET used_at = ?, used_by = ? "
                                       "WHERE hash = ? AND used_at IS NULL AND expires_at > ?"));
    Binder(use).Int(now).Text(serial).Text(hash).Int(now);
    if (::sqlite3_step(use) != SQLITE_DONE) {
      return c.SqlError("consuming the token");
    }
    if (c.Changes() != 1) {
      return Error(Code::kUnauthenticated,
                   "the enrollment token is unknown, expired or already used");
    }
    return OkStatus();
  }

  // AppendAudit chains a new entry to the last one; the caller holds a transaction.
  Status AppendAudit(Connection& c, std::string_view action, std::string_view serial,
                     std::string_view subject, std::string_view detail, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement last,
        c.Prepared("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
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
    return InsertAuditEntry(c, e);
  }

  // InsertAuditEntry writes `e` as it is (its seq and hashes decided by the caller).
  static Status InsertAuditEntry(Connection& c, const AuditEntry& e) {
    ANCHOR_ASSIGN_OR_RETURN(
        ScopedStatement insert,
        c.Prepared("INSERT INTO audit_log (seq, time, action, serial, subject, detail, prev_hash, "
                   "hash) VALUES (?,?,?,?,?,?,?,?)"));
    Binder(insert)
        .Int(e.seq)
        .Int(e.time)
        .Text(e.action)
        .Text(e.serial)
        .Text(e.subject)
        .Text(e.detail)
        .Text(e.prev_hash)
        .Text(e.hash);
    if (::sqlite3_step(insert) != SQLITE_DONE) {
      return c.SqlError("writing audit entry " + std::to_string(e.seq));
    }
    return OkStatus();
  }

  Status Migrate(Connection& c) {
    ANCHOR_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepared("PRAGMA user_version"));
    Binder{s};
    if (::sqlite3_step(s) != SQLITE_ROW) {
      return c.SqlError("reading the schema version");
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
      ANCHOR_TRY(c.InTransaction([&]() -> Status {
        ANCHOR_TRY(c.Exec(std::string(steps[v])));
        return c.Exec("PRAGMA user_version = " + std::to_string(v + 1));
      }));
    }
    return OkStatus();
  }

  std::unique_ptr<Connection> writer_;
  std::mutex crl_mu_;  // PublishCrl: one builder at a time in this process
  std::vector<std::unique_ptr<Connection>> readers_;
  std::atomic<size_t> next_reader_{0};
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
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                          Connection::Open(path, /*create=*/true));
  auto store = std::make_unique<SqliteStore>(std::move(writer));
  auto st = store->Init();
  // An in-memory database is private to its connection: its reads share the writer.
  if (st && path != ":memory:") {
    st = store->OpenReaders(path, kReaders);
  }
  if (!st) {
    return st.error().Prefixed(path);
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace anchor::store
