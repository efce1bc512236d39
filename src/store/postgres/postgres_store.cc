// SPDX-License-Identifier: Apache-2.0
// File: postgres_store.cc: `Store` over PostgreSQL: a pool of connections, writers serialised
// on the audit log's head row.
#include "store/postgres/postgres_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>

#include "core/text.h"
#include "store/audit_chain.h"
#include "store/postgres/connection.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notify_watch.h"
#include "store/schema_text.h"

namespace anchor::store {
namespace {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;

CertificateRecord ReadCert(const Rows& rows, int i) {
  CertificateRecord r;
  r.serial = rows.Text(i, 0);
  r.issuer = rows.Text(i, 1);
  r.subject = rows.Text(i, 2);
  r.common_name = rows.Text(i, 3);
  r.sans = SplitLines(rows.Text(i, 4));
  r.profile = rows.Text(i, 5);
  r.not_before = rows.Int(i, 6);
  r.not_after = rows.Int(i, 7);
  r.revoked = rows.Text(i, 8) == "revoked";
  r.revoked_at = rows.Int(i, 9);
  r.revocation_reason = static_cast<int>(rows.Int(i, 10));
  r.der = rows.Bytes(i, 11);
  r.fingerprint = rows.Text(i, 12);
  r.token_hash = rows.Text(i, 13);
  r.created_at = rows.Int(i, 14);
  r.renews = rows.Text(i, 15);
  r.issuer_fingerprint = rows.Text(i, 16);
  return r;
}

// ReadRows reads every row of `rows` with `read`.
template <typename T>
std::vector<T> ReadRows(const Rows& rows, T (*read)(const Rows&, int)) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(read(rows, i));
  }
  return out;
}

std::vector<CertificateRecord> ReadCerts(const Rows& rows) { return ReadRows(rows, ReadCert); }

// ReadToken, ReadAudit and ReadRevocation read row `i` of kTokenColumns, kAuditColumns and the
// revocations table.
TokenRecord ReadToken(const Rows& rows, int i) {
  return TokenRecord{rows.Text(i, 0), rows.Text(i, 1), SplitLines(rows.Text(i, 2)),
                     rows.Text(i, 3), rows.Int(i, 4),  rows.Int(i, 5),
                     rows.Int(i, 6),  rows.Text(i, 7)};
}

AuditEntry ReadAudit(const Rows& rows, int i) {
  return AuditEntry{rows.Int(i, 0),  rows.Int(i, 1),  rows.Text(i, 2), rows.Text(i, 3),
                    rows.Text(i, 4), rows.Text(i, 5), rows.Text(i, 6), rows.Text(i, 7)};
}

RevocationEvent ReadRevocation(const Rows& rows, int i) {
  return RevocationEvent{rows.Int(i, 0), rows.Text(i, 1), rows.Int(i, 2),
                         static_cast<int>(rows.Int(i, 3))};
}

// AuditEntries reads the audit log, oldest first (at most `limit` entries, 0: all).
Result<std::vector<AuditEntry>> AuditEntries(Connection& c, size_t limit = 0) {
  ANCHOR_ASSIGN_OR_RETURN(
      Rows rows,
      c.Exec("reading the audit log",
             "SELECT " + std::string(kAuditColumns) + " FROM audit_log ORDER BY seq LIMIT $1",
             limit > 0 ? Params().Int(static_cast<int64_t>(limit)) : Params().Null()));
  return ReadRows(rows, ReadAudit);
}

// Revocations reads the revocation sequence after `cursor`, oldest first, at most `limit`
// events (0: all; LIMIT NULL is none).
Result<std::vector<RevocationEvent>> Revocations(Connection& c, int64_t cursor, size_t limit) {
  ANCHOR_ASSIGN_OR_RETURN(
      Rows rows, c.Exec("reading revocations",
                        "SELECT seq, serial, revoked_at, reason FROM revocations WHERE seq > $1 "
                        "ORDER BY seq LIMIT $2",
                        limit > 0 ? Params().Int(cursor).Int(static_cast<int64_t>(limit))
                                  : Params().Int(cursor).Null()));
  return ReadRows(rows, ReadRevocation);
}

StoredCrl ReadCrl(const Rows& rows, int i) {
  return StoredCrl{rows.Text(i, 0), rows.Int(i, 1),   rows.Int(i, 2),  rows.Int(i, 3),
                   rows.Int(i, 4),  rows.Bytes(i, 5), rows.Text(i, 6), rows.Int(i, 7)};
}

// NewestCrlOf reads the stored CRL of `issuer` with the highest number (the index of
// UNIQUE (issuer_fingerprint, crl_number) walked backwards).
Result<std::optional<StoredCrl>> NewestCrlOf(Connection& c, const std::string& issuer) {
  ANCHOR_ASSIGN_OR_RETURN(Rows rows, c.Exec("reading the newest CRL",
                                            "SELECT " + std::string(kCrlColumns) +
                                                " FROM crls WHERE issuer_fingerprint = $1 ORDER BY "
                                                "crl_number DESC LIMIT 1",
                                            Params().Text(issuer)));
  if (rows.empty()) {
    return std::optional<StoredCrl>();
  }
  return std::optional<StoredCrl>(ReadCrl(rows, 0));
}

// RevokedOf reads what the CRL of `issuer` lists at `now`, from the partial index
// certificates_revoked_by_issuer.
Result<std::vector<RevokedEntry>> RevokedOf(Connection& c, const std::string& issuer, int64_t now) {
  ANCHOR_ASSIGN_OR_RETURN(Rows rows,
                          c.Exec("reading the revoked certificates",
                                 "SELECT serial, revoked_at, revocation_reason FROM certificates "
                                 "WHERE status = 'revoked' AND issuer_fingerprint = $1 AND "
                                 "not_after > $2",
                                 Params().Text(issuer).Int(now)));
  std::vector<RevokedEntry> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({rows.Text(i, 0), rows.Int(i, 1), static_cast<int>(rows.Int(i, 2))});
  }
  return out;
}

// kCrlLeaseKeys are the two keys of the CRL lease's advisory lock: a constant ("anch"), and the
// schema's name hashed, so that CAs in different schemas of one database have their own lease.
// Both are non-negative, so that they compare as they are with pg_locks' oid columns.
//= https://www.postgresql.org/docs/15/view-pg-locks.html
//# Integer keys are displayed with the first key in the classid column, the second key in the
//# objid column, and objsubid equal to 2.
constexpr char kCrlLeaseKeys[] = "1634626403, hashtext(current_schema()) & 2147483647";

// LeaseHolder is the session that holds the CRL lease, as pg_stat_activity shows it.
struct LeaseHolder {
  int64_t pid = 0;
  std::string name;                   // its application_name
  std::chrono::milliseconds held{0};  // since its transaction began, by the database's clock
};

// CrlLeaseHolder finds who holds the CRL lease now; nullopt when nobody does (any more).
Result<std::optional<LeaseHolder>> CrlLeaseHolder(Connection& c) {
  ANCHOR_ASSIGN_OR_RETURN(
      Rows rows,
      c.Exec("looking up the holder of the CRL lease",
             "SELECT a.pid, a.application_name, "
             "(EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start) * 1000)::bigint "
             "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
             "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
             "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
             "AND l.classid = 1634626403::oid "
             "AND l.objid = (hashtext(current_schema()) & 2147483647)::oid"));
  if (rows.empty()) {
    return std::optional<LeaseHolder>();
  }
  return std::optional<LeaseHolder>(
      LeaseHolder{rows.Int(0, 0), rows.Text(0, 1), std::chrono::milliseconds(rows.Int(0, 2))});
}

// Placeholders numbers the parameters of a statement built piece by piece ($1, $2, ...).
class Placeholders {
 public:
  std::string Next() { return "$" + std::to_string(++n_); }

 private:
  int n_ = 0;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string conninfo, std::string application_name,
                std::vector<std::unique_ptr<Connection>> pool, bool create_schema,
                std::chrono::milliseconds crl_lease)
      : conninfo_(std::move(conninfo)),
        application_name_(std::move(application_name)),
        pool_(std::move(pool)),
        create_schema_(create_schema),
        crl_lease_(crl_lease) {
    // Other replicas' revocations are seen only once a watch listens (WatchRevocations).
    revocations_.SetLive(false);
  }

  Result<std::unique_ptr<RevocationWatch>> WatchRevocations() override {
    return postgres::StartNotifyWatch(conninfo_, revocations_, application_name_);
  }

  Status Migrate() {
    Lease lease = Take();
    Connection& c = lease.connection;
    // The common case, read only: the schema is there and current. No DDL, no lock, so that a
    // role without the right to create tables can use a database made by another.
    ANCHOR_ASSIGN_OR_RETURN(
        Rows present,
        c.Exec("reading the schema version", "SELECT to_regclass('anchor_schema') IS NOT NULL"));
    if (present.Text(0, 0) != "t" && !create_schema_) {
      return Error(Code::kFailedPrecondition,
                   "the database has no anchor tables: it is empty, or was dropped and made "
                   "again, so the CA's records are not there; restore them (pg_restore) or point "
                   "[store] url at the CA's database");
    }
    if (present.Text(0, 0) == "t") {
      ANCHOR_ASSIGN_OR_RETURN(
          Rows v, c.Exec("reading the schema version", "SELECT version FROM anchor_schema"));
      if (!v.empty() && v.Int(0, 0) == static_cast<int64_t>(postgres::Migrations().size())) {
        return OkStatus();
      }
    }
    return c.InTransaction([&]() -> Status {
      // Replicas starting together: one migrates, the others wait here and then find it done.
      ANCHOR_TRY(c.Run("waiting for the schema lock",
                       "SELECT pg_advisory_xact_lock(hashtext('anchor schema'))"));
      ANCHOR_TRY(c.Run("creating the schema version table",
                       "CREATE TABLE IF NOT EXISTS anchor_schema (version INTEGER NOT NULL)"));
      ANCHOR_ASSIGN_OR_RETURN(
          Rows v, c.Exec("reading the schema version", "SELECT version FROM anchor_schema"));
      int64_t version = 0;
      if (v.empty()) {
        ANCHOR_TRY(c.Run("recording the schema version",
                         "INSERT INTO anchor_schema (version) VALUES (0)"));
      } else {
        version = v.Int(0, 0);
      }
      const auto steps = postgres::Migrations();
      if (version > static_cast<int64_t>(steps.size())) {
        return Error(Code::kFailedPrecondition,
                     "the database schema (version " + std::to_string(version) +
                         ") is newer than this anchor understands; upgrade anchor");
      }
      for (size_t step = static_cast<size_t>(version); step < steps.size(); ++step) {
        ANCHOR_TRY(c.ExecScript("migrating to schema version " + std::to_string(step + 1),
                                std::string(steps[step])));
        ANCHOR_TRY(c.Run("recording the schema version", "UPDATE anchor_schema SET version = $1",
                         Params().Int(static_cast<int64_t>(step + 1))));
      }
      return OkStatus();
    });
  }

  Status InsertCertificates(std::span<const CertificateRecord> records, int64_t now) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    return c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
      for (const CertificateRecord& r : records) {
        ANCHOR_TRY(InsertOne(c, r, now));
      }
      return OkStatus();
    });
  }

  Result<std::vector<Status>> InsertEach(std::span<const CertificateRecord> records,
                                         int64_t now) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    std::vector<Status> each;
    each.reserve(records.size());
    Status st = c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
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
    Lease lease = Take();
    ANCHOR_ASSIGN_OR_RETURN(Rows rows,
                            lease.connection.Exec("reading certificate",
                                                  "SELECT " + std::string(kCertColumns) +
                                                      " FROM certificates WHERE serial = $1",
                                                  Params().Text(ToLower(serial))));
    if (rows.empty()) {
      return Error(Code::kNotFound, "no certificate with serial " + std::string(serial));
    }
    return ReadCert(rows, 0);
  }

  Result<std::vector<CertificateRecord>> List(const ListFilter& f) override {
    Placeholders p;
    Params params;
    std::string sql = "SELECT " + std::string(kCertColumns) + " FROM certificates WHERE TRUE";
    switch (f.status) {
      case StatusFilter::kAny:
        break;
      case StatusFilter::kValid:
        sql += " AND status = 'valid' AND not_after > " + p.Next();
        params.Int(f.now);
        break;
      case StatusFilter::kRevoked:
        sql += " AND status = 'revoked'";
        break;
      case StatusFilter::kExpired:
        sql += " AND status = 'valid' AND not_after <= " + p.Next();
        params.Int(f.now);
        break;
    }
    if (f.expiring_before) {
      sql += " AND status = 'valid' AND not_after > " + p.Next();
      sql += " AND not_after < " + p.Next();
      params.Int(f.now).Int(*f.expiring_before);
    }
    if (!f.profile.empty()) {
      sql += " AND profile = " + p.Next();
      params.Text(f.profile);
    }
    if (!f.common_name.empty()) {
      sql += " AND common_name = " + p.Next();  // certificates_by_cn
      params.Text(f.common_name);
    }
    sql += " ORDER BY created_at DESC, serial";
    if (f.limit > 0) {
      sql += " LIMIT " + std::to_string(f.limit);
    }
    Lease lease = Take();
    ANCHOR_ASSIGN_OR_RETURN(Rows rows, lease.connection.Exec("listing certificates", sql, params));
    return ReadCerts(rows);
  }

  Result<int64_t> CountCertificates() override {
    Lease lease = Take();
    ANCHOR_ASSIGN_OR_RETURN(Rows rows, lease.connection.Exec("counting certificates",
                                                             "SELECT COUNT(*) FROM certificates"));
    return rows.Int(0, 0);
  }

  Result<StatusCounts> CountByStatus(int64_t now) override {
    Lease lease = Take();
    // Each count is a range of the index certificates_by_expiry (status, not_after).
    ANCHOR_ASSIGN_OR_RETURN(
        Rows rows,
        lease.connection.Exec(
            "counting certificates by status",
            "SELECT (SELECT COUNT(*) FROM certificates WHERE status = 'valid' AND not_after > $1), "
            "(SELECT COUNT(*) FROM certificates WHERE status = 'revoked'), "
            "(SELECT COUNT(*) FROM certificates WHERE status = 'valid' AND not_after <= $1)",
            Params().Int(now)));
    return StatusCounts{rows.Int(0, 0), rows.Int(0, 1), rows.Int(0, 2)};
  }

  Result<RevocationEvent> Revoke(std::string_view serial, int64_t revoked_at, int reason,
                                 std::string_view detail) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    RevocationEvent event{0, ToLower(serial), revoked_at, reason};
    Status st = c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
      ANCHOR_ASSIGN_OR_RETURN(Rows found,
                              c.Exec("reading certificate",
                                     "SELECT status, subject FROM certificates WHERE serial = $1",
                                     Params().Text(event.serial)));
      if (found.empty()) {
        return Error(Code::kNotFound, "no certificate with serial " + event.serial +
                                          "; see `anchor list` for the serials this CA issued");
      }
      if (found.Text(0, 0) == "revoked") {
        return Error(Code::kFailedPrecondition,
                     "certificate " + event.serial + " is already revoked");
      }
      ANCHOR_TRY(c.Run("revoking",
                       "UPDATE certificates SET status = 'revoked', revoked_at = $1, "
                       "revocation_reason = $2 WHERE serial = $3",
                       Params().Int(revoked_at).Int(reason).Text(event.serial)));
      // The sequence number is taken here, under the writers' lock, so numbers commit in order.
      ANCHOR_ASSIGN_OR_RETURN(
          Rows seq,
          c.Exec("advancing the revocation sequence",
                 "UPDATE revocation_head SET last = last + 1 WHERE id = 1 RETURNING last"));
      event.seq = seq.Int(0, 0);
      ANCHOR_TRY(c.Run("appending to the revocation sequence",
                       "INSERT INTO revocations (seq, serial, revoked_at, reason) "
                       "VALUES ($1, $2, $3, $4)",
                       Params().Int(event.seq).Text(event.serial).Int(revoked_at).Int(reason)));
      // Delivered to every listening replica when this transaction commits, never before
      // (https://www.postgresql.org/docs/15/sql-notify.html): one that wakes reads it committed.
      ANCHOR_TRY(
          c.Run("telling the replicas of the revocation", "SELECT pg_notify($1, $2)",
                Params().Text(postgres::kRevocationChannel).Text(std::to_string(event.seq))));
      return AppendAuditLocked(c, "revoke", event.serial, found.Text(0, 1), detail, revoked_at);
    });
    if (!st) {
      return st.error();
    }
    revocations_.Notify();
    return event;
  }

  Result<std::vector<RevokedEntry>> RevokedUnexpired(std::string_view issuer_fingerprint,
                                                     int64_t now) override {
    Lease lease = Take();
    return RevokedOf(lease.connection, ToLower(issuer_fingerprint), now);
  }

  Result<int64_t> AttributeIssuer(std::string_view issuer_fingerprint) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    // A read first: the common case (nothing to attribute) takes no lock.
    ANCHOR_ASSIGN_OR_RETURN(
        Rows any, c.Exec("looking for certificates without an issuer",
                         "SELECT EXISTS (SELECT 1 FROM certificates WHERE issuer_fingerprint IS "
                         "NULL)"));
    if (any.Text(0, 0) != "t") {
      return 0;
    }
    int64_t changed = 0;
    Status st = c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
      ANCHOR_ASSIGN_OR_RETURN(Rows updated,
                              c.Exec("recording the issuer of earlier certificates",
                                     "UPDATE certificates SET issuer_fingerprint = $1 "
                                     "WHERE issuer_fingerprint IS NULL",
                                     Params().Text(ToLower(issuer_fingerprint))));
      changed = updated.Affected();
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
    Lease lease = Take();
    return Revocations(lease.connection, cursor, limit);
  }

  Result<int64_t> LatestRevocation() override {
    Lease lease = Take();
    ANCHOR_ASSIGN_OR_RETURN(Rows rows,
                            lease.connection.Exec("reading the latest revocation",
                                                  "SELECT last FROM revocation_head WHERE id = 1"));
    return rows.Int(0, 0);
  }

  Result<StoredCrl> PublishCrl(const CrlRequest& request, const CrlSigner& sign) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::milliseconds pause{5};
    for (;;) {
      std::optional<StoredCrl> crl;
      Status st = c.InTransaction([&]() -> Status {
        ANCHOR_ASSIGN_OR_RETURN(const bool held, TakeCrlLease(c));
        if (!held) {
          return OkStatus();  // nothing was done: the transaction only asked
        }
        ANCHOR_ASSIGN_OR_RETURN(crl, BuildUnderLease(c, request, sign));
        return OkStatus();
      });
      if (!st) {
        return st.error();  // rolled back: no number used, nothing stored
      }
      if (crl) {
        return *std::move(crl);  // committed
      }
      // Another session holds the lease: a builder at work (a few milliseconds), or one that
      // stalled or died, whose lease is ended once it has run for crl_lease.
      ANCHOR_ASSIGN_OR_RETURN(std::optional<LeaseHolder> holder, CrlLeaseHolder(c));
      const auto waited = std::chrono::steady_clock::now() - start;
      if (waited >= 2 * crl_lease_) {
        return Error(
            Code::kUnavailable,
            "the CRL is being built elsewhere" +
                (holder ? " (by " + holder->name + ", for " + std::to_string(holder->held.count()) +
                              " ms)"
                        : std::string()) +
                " and was not ready after " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
                " ms; try again");
      }
      if (holder && holder->held >= crl_lease_) {
        ANCHOR_TRY(EndExpiredLease(c, *holder));
        continue;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, kLeasePollMax);
    }
  }

  Result<std::optional<StoredCrl>> NewestCrl(std::string_view issuer_fingerprint) override {
    Lease lease = Take();
    return NewestCrlOf(lease.connection, ToLower(issuer_fingerprint));
  }

  Status InsertToken(const TokenRecord& t, int64_t now) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    return c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
      ANCHOR_TRY(c.Run("recording the token",
                       "INSERT INTO tokens (hash, common_name, sans, profile, created_at, "
                       "expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                       Params()
                           .Text(t.hash)
                           .Text(t.common_name)
                           .Text(JoinLines(t.sans))
                           .Text(t.profile)
                           .Int(t.created_at)
                           .Int(t.expires_at)));
      return AppendAuditLocked(c, "token", "", "CN=" + t.common_name,
                               "profile=" + t.profile + " token=" + t.hash.substr(0, 12) +
                                   " expires=" + std::to_string(t.expires_at),
                               now);
    });
  }

  Result<TokenRecord> FindToken(std::string_view hash) override {
    Lease lease = Take();
    ANCHOR_ASSIGN_OR_RETURN(
        Rows rows, lease.connection.Exec(
                       "reading the token",
                       "SELECT " + std::string(kTokenColumns) + " FROM tokens WHERE hash = $1",
                       Params().Text(hash)));
    if (rows.empty()) {
      return Error(Code::kNotFound, "unknown token");
    }
    return ReadToken(rows, 0);
  }

  Status AppendAudit(std::string_view action, std::string_view serial, std::string_view subject,
                     std::string_view detail, int64_t now) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    return c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
      return AppendAuditLocked(c, action, serial, subject, detail, now);
    });
  }

  Result<std::vector<AuditEntry>> AuditLog() override {
    Lease lease = Take();
    return AuditEntries(lease.connection);
  }

  Result<std::optional<AuditEntry>> FirstAuditEntry() override {
    Lease lease = Take();
    ANCHOR_ASSIGN_OR_RETURN(std::vector<AuditEntry> first, AuditEntries(lease.connection, 1));
    return first.empty() ? std::optional<AuditEntry>() : std::optional<AuditEntry>(first.front());
  }

  Status Export(const std::function<Status(const StoreContents&)>& sink) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    return c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));  // every replica's writers wait until `sink` is done
      StoreContents out;
      ANCHOR_ASSIGN_OR_RETURN(Rows certs, c.Exec("reading the certificates",
                                                 "SELECT " + std::string(kCertColumns) +
                                                     " FROM certificates ORDER BY created_at, "
                                                     "serial"));
      out.certificates = ReadCerts(certs);
      ANCHOR_ASSIGN_OR_RETURN(
          Rows tokens, c.Exec("reading the tokens", "SELECT " + std::string(kTokenColumns) +
                                                        " FROM tokens ORDER BY created_at, hash"));
      out.tokens = ReadRows(tokens, ReadToken);
      ANCHOR_ASSIGN_OR_RETURN(out.revocations, Revocations(c, 0, 0));
      ANCHOR_ASSIGN_OR_RETURN(out.audit, AuditEntries(c));
      ANCHOR_ASSIGN_OR_RETURN(
          Rows crl, c.Exec("reading the CRL number", "SELECT last FROM crl_numbers WHERE id = 1"));
      out.crl_number = crl.Int(0, 0);
      return sink(out);
    });
  }

  Status Import(const StoreContents& in) override {
    Lease lease = Take();
    Connection& c = lease.connection;
    return c.InTransaction([&]() -> Status {
      ANCHOR_TRY(LockWriters(c));
      ANCHOR_ASSIGN_OR_RETURN(
          Rows count, c.Exec("counting the records",
                             "SELECT (SELECT COUNT(*) FROM certificates) + (SELECT COUNT(*) FROM "
                             "tokens) + (SELECT COUNT(*) FROM audit_log)"));
      if (count.Int(0, 0) != 0) {
        return Error(Code::kAlreadyExists, "the target store is not empty");
      }
      // Certificates first without their `renews` (a renewal may share its parent's second),
      // then the links, the tokens and revocations that name them, the log and the counters.
      for (const CertificateRecord& r : in.certificates) {
        Params p;
        p.Text(r.serial).Text(r.issuer).Text(r.subject).Text(r.common_name);
        p.Text(JoinLines(r.sans)).Text(r.profile).Int(r.not_before).Int(r.not_after);
        p.Text(r.revoked ? "revoked" : "valid");
        r.revoked ? p.Int(r.revoked_at) : p.Null();
        r.revoked ? p.Int(r.revocation_reason) : p.Null();
        p.Bytes(r.der).Text(r.fingerprint).TextOrNull(r.token_hash).Int(r.created_at);
        p.TextOrNull(r.issuer_fingerprint);
        ANCHOR_TRY(c.Run("importing certificate " + r.serial,
                         "INSERT INTO certificates (" + std::string(kCertColumns) +
                             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                             "$14, $15, NULL, $16)",
                         p));
      }
      for (const CertificateRecord& r : in.certificates) {
        if (!r.renews.empty()) {
          ANCHOR_TRY(c.Run("importing the renewal of " + r.serial,
                           "UPDATE certificates SET renews = $1 WHERE serial = $2",
                           Params().Text(r.renews).Text(r.serial)));
        }
      }
      for (const TokenRecord& t : in.tokens) {
        Params p;
        p.Text(t.hash).Text(t.common_name).Text(JoinLines(t.sans)).Text(t.profile);
        p.Int(t.created_at).Int(t.expires_at);
        t.used_at != 0 ? p.Int(t.used_at) : p.Null();
        p.TextOrNull(t.used_by);
        ANCHOR_TRY(c.Run("importing a token",
                         "INSERT INTO tokens (hash, common_name, sans, profile, created_at, "
                         "expires_at, used_at, used_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                         p));
      }
      int64_t last_seq = 0;
      for (const RevocationEvent& e : in.revocations) {
        ANCHOR_TRY(c.Run("importing revocation " + std::to_string(e.seq),
                         "INSERT INTO revocations (seq, serial, revoked_at, reason) "
                         "VALUES ($1, $2, $3, $4)",
                         Params().Int(e.seq).Text(e.serial).Int(e.revoked_at).Int(e.reason)));
        last_seq = std::max(last_seq, e.seq);
      }
      for (const AuditEntry& e : in.audit) {
        ANCHOR_TRY(InsertAuditEntry(c, e));
      }
      // The counters continue where the source left off.
      ANCHOR_TRY(c.Run("importing the revocation sequence",
                       "UPDATE revocation_head SET last = $1 WHERE id = 1",
                       Params().Int(last_seq)));
      ANCHOR_TRY(c.Run("importing the CRL number", "UPDATE crl_numbers SET last = $1 WHERE id = 1",
                       Params().Int(in.crl_number)));
      if (!in.audit.empty()) {
        ANCHOR_TRY(c.Run("importing the audit log's head",
                         "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                         Params().Int(in.audit.back().seq).Text(in.audit.back().hash)));
      }
      return OkStatus();
    });
  }

 private:
  // kLeasePollMax is the longest pause between two looks at a CRL lease another store holds.
  static constexpr std::chrono::milliseconds kLeasePollMax{200};

  // TakeCrlLease tries the CRL lease's advisory lock, without waiting, in the caller's
  // transaction; it is released when that transaction ends, however it ends (commit, rollback,
  // the session closed by a dead client or ended by the server). The same statement has the
  // server end this session if it sits idle in the transaction for crl_lease (set_config local
  // to the transaction): a builder that stalls releases the lease even when nobody asks for it.
  //= https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
  //# pg_try_advisory_xact_lock ( key1 integer, key2 integer ) -> boolean
  //# Obtains an exclusive transaction-level advisory lock if available. This will either obtain
  //# the lock immediately and return true, or return false without waiting.
  Result<bool> TakeCrlLease(Connection& c) {
    ANCHOR_ASSIGN_OR_RETURN(
        Rows rows, c.Exec("taking the CRL lease",
                          "SELECT pg_try_advisory_xact_lock(" + std::string(kCrlLeaseKeys) +
                              "), set_config('idle_in_transaction_session_timeout', $1, true)",
                          Params().Text(std::to_string(crl_lease_.count()) + "ms")));
    return rows.Text(0, 0) == "t";
  }

  // EndExpiredLease ends the session of `holder`, which has held the CRL lease past crl_lease:
  // its transaction is rolled back (its CRL number is taken again by the next builder, its CRL
  // never stored) and the lease is free. Only the same role (or pg_signal_backend) may do it.
  //= https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADMIN-SIGNAL
  //# pg_terminate_backend ( pid integer, timeout bigint DEFAULT 0 ) -> boolean
  //# Terminates the session whose backend process has the specified process ID.
  Status EndExpiredLease(Connection& c, const LeaseHolder& holder) {
    Status ended = c.Run("ending an expired CRL lease", "SELECT pg_terminate_backend($1, 1000)",
                         Params().Int(holder.pid));
    if (!ended) {
      return Error(Code::kUnavailable,
                   "the CRL lease has been held by " + holder.name + " (pid " +
                       std::to_string(holder.pid) + ") for " + std::to_string(holder.held.count()) +
                       " ms, past its time, and its session cannot be ended from here (" +
                       ended.error().message() +
                       "); run every replica as one role, or grant this one pg_signal_backend");
    }
    return OkStatus();
  }

  // BuildUnderLease makes, signs and records the next CRL of `request`, or finds the stored one
  // that serves; the caller holds the transaction and the CRL lease.
  Result<StoredCrl> BuildUnderLease(Connection& c, const CrlRequest& request,
                                    const CrlSigner& sign) {
    const std::string issuer = ToLower(request.issuer_fingerprint);
    if (request.reuse_after) {
      ANCHOR_ASSIGN_OR_RETURN(std::optional<StoredCrl> newest, NewestCrlOf(c, issuer));
      if (newest && newest->Serves(*request.reuse_after, request.now)) {
        return *std::move(newest);
      }
    }
    CrlDraft draft;
    // The cursor first, then the list: every revocation up to the cursor had committed when the
    // cursor was read (revocation_head advances in the revoking transaction), so the list, read
    // by a later statement, holds it.
    ANCHOR_ASSIGN_OR_RETURN(Rows head, c.Exec("reading the revocation cursor",
                                              "SELECT last FROM revocation_head WHERE id = 1"));
    draft.revocation_cursor = head.Int(0, 0);
    ANCHOR_ASSIGN_OR_RETURN(draft.revoked, RevokedOf(c, issuer, request.now));
    // Taken in this transaction: a builder that does not commit leaves the number to the next
    // one, and the row stays locked until then. Lock order: the lease, this row, then (below)
    // the writers' lock, which no other writer takes before this row.
    ANCHOR_ASSIGN_OR_RETURN(
        Rows number, c.Exec("taking the next CRL number",
                            "UPDATE crl_numbers SET last = last + 1 WHERE id = 1 RETURNING last"));
    draft.number = number.Int(0, 0);
    ANCHOR_ASSIGN_OR_RETURN(SignedCrl signed_crl, sign(draft));
    ANCHOR_TRY(LockWriters(c));
    ANCHOR_TRY(CheckLeaseTime(c, draft.number));
    StoredCrl crl = ToStoredCrl(issuer, draft, std::move(signed_crl), request.now);
    // The lease makes the condition hold; it is checked anyway, so that what is stored only
    // ever increases, in number and in the revocations it covers.
    ANCHOR_ASSIGN_OR_RETURN(
        Rows stored,
        c.Exec("recording CRL " + std::to_string(crl.number),
               "INSERT INTO crls (" + std::string(kCrlColumns) +
                   ") SELECT $1, $2, $3, $4, $5, $6, current_setting('application_name'), $7 "
                   "WHERE NOT EXISTS (SELECT 1 FROM crls WHERE crl_number >= $2 OR "
                   "(issuer_fingerprint = $1 AND revocation_cursor > $3)) RETURNING built_by",
               Params()
                   .Text(crl.issuer_fingerprint)
                   .Int(crl.number)
                   .Int(crl.revocation_cursor)
                   .Int(crl.this_update)
                   .Int(crl.next_update)
                   .Bytes(crl.der)
                   .Int(crl.created_at)));
    if (stored.empty()) {
      return Error(Code::kAborted, "CRL " + std::to_string(crl.number) +
                                       " was not recorded: a CRL with a higher number, or one "
                                       "covering later revocations, is stored already");
    }
    crl.built_by = stored.Text(0, 0);
    ANCHOR_TRY(c.Run("dropping the DER of superseded CRLs",
                     "UPDATE crls SET der = NULL WHERE issuer_fingerprint = $1 AND crl_number < $2 "
                     "AND der IS NOT NULL",
                     Params().Text(crl.issuer_fingerprint).Int(crl.number)));
    ANCHOR_TRY(AppendAuditLocked(c, "crl", "", "", CrlAuditDetail(draft, issuer), request.now));
    return crl;
  }

  // CheckLeaseTime refuses to commit a CRL built past the lease, by the database's clock from
  // the start of this transaction (when the lease was taken): another store may be ending this
  // session now, and a CRL that late is not what a server should hand out.
  Status CheckLeaseTime(Connection& c, int64_t number) {
    ANCHOR_ASSIGN_OR_RETURN(
        Rows in_time, c.Exec("checking the CRL lease",
                             "SELECT clock_timestamp() < now() + $1 * interval '1 millisecond'",
                             Params().Int(crl_lease_.count())));
    if (in_time.Text(0, 0) != "t") {
      return Error(Code::kUnavailable,
                   "CRL " + std::to_string(number) + " was not stored: building it took longer " +
                       "than the CRL lease (" + std::to_string(crl_lease_.count()) +
                       " ms); the next request builds it again");
    }
    return OkStatus();
  }

  // Lease is a connection lent for one method, locked for as long as the lease lives.
  struct Lease {
    Connection& connection;
    std::unique_lock<std::mutex> lock;
  };

  // Take lends a connection: the first free one from a rotating start, so that a quick read
  // (an OCSP answer) does not queue behind a long one while another connection is idle; only
  // when all are busy does it wait, for the one in turn.
  Lease Take() {
    const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < pool_.size(); ++i) {
      Connection& c = *pool_[(start + i) % pool_.size()];
      std::unique_lock lock(c.mu, std::try_to_lock);
      if (lock.owns_lock()) {
        return {c, std::move(lock)};
      }
    }
    Connection& c = *pool_[start % pool_.size()];
    return {c, std::unique_lock(c.mu)};
  }

  // LockWriters is the first statement of every writing transaction: the lock on the audit
  // log's head row, held until commit. Writers of every replica thus run one at a time and take
  // their other locks in one order, so the audit log stays one chain and the revocation
  // sequence and CRL numbers are given out in commit order.
  static Status LockWriters(Connection& c) {
    return c.Run("waiting for the writers' lock",
                 "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE");
  }

  // InsertOne writes one certificate row, consumes its token and audits it; the caller holds the
  // transaction and the writers' lock.
  Status InsertOne(Connection& c, const CertificateRecord& r, int64_t now) {
    if (!r.renews.empty()) {
      ANCHOR_TRY(CheckRenewable(c, r.renews));
    }
    ANCHOR_TRY(c.Run("recording certificate " + r.serial,
                     "INSERT INTO certificates (" + std::string(kCertColumns) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'valid', NULL, NULL, $9, $10, "
                         "$11, $12, $13, $14)",
                     Params()
                         .Text(r.serial)
                         .Text(r.issuer)
                         .Text(r.subject)
                         .Text(r.common_name)
                         .Text(JoinLines(r.sans))
                         .Text(r.profile)
                         .Int(r.not_before)
                         .Int(r.not_after)
                         .Bytes(r.der)
                         .Text(r.fingerprint)
                         .TextOrNull(r.token_hash)
                         .Int(now)
                         .TextOrNull(r.renews)
                         .TextOrNull(ToLower(r.issuer_fingerprint))));
    std::string detail = "profile=" + r.profile;
    if (!r.renews.empty()) {
      detail += " renews=" + r.renews;
    }
    if (!r.token_hash.empty()) {
      ANCHOR_TRY(ConsumeToken(c, r.token_hash, r.serial, now));
      detail += " token=" + r.token_hash.substr(0, 12);
    }
    return AppendAuditLocked(c, "issue", r.serial, r.subject, detail, now);
  }

  // CheckRenewable refuses (kUnauthenticated) a renewal of a certificate revoked since the
  // renewal was authorised, or one a certificate renewed from which is revoked (at any depth):
  // in the transaction that records the new certificate, under the writers' lock, so a
  // revocation on any replica commits either before it (the renewal is refused) or after it.
  Status CheckRenewable(Connection& c, std::string_view serial) {
    ANCHOR_ASSIGN_OR_RETURN(Rows rows, c.Exec("reading the certificate being renewed",
                                              "SELECT status FROM certificates WHERE serial = $1",
                                              Params().Text(serial)));
    if (rows.empty() || rows.Text(0, 0) == "revoked") {
      return Error(Code::kUnauthenticated, "client certificate " + std::string(serial) +
                                               " was revoked while it was being renewed");
    }
    ANCHOR_ASSIGN_OR_RETURN(
        Rows lineage,
        c.Exec("reading the renewals of the certificate being renewed",
               "WITH RECURSIVE lineage(serial) AS ("
               "  SELECT serial FROM certificates WHERE renews = $1"
               "  UNION SELECT c.serial FROM certificates c JOIN lineage l ON c.renews = l.serial)"
               " SELECT c.serial FROM certificates c JOIN lineage l ON c.serial = l.serial"
               " WHERE c.status = 'revoked' LIMIT 1",
               Params().Text(serial)));
    if (!lineage.empty()) {
      return Error(Code::kUnauthenticated,
                   "client certificate " + std::string(serial) +
                       " cannot be renewed: " + lineage.Text(0, 0) +
                       ", renewed from it, is revoked; enroll again with a token");
    }
    return OkStatus();
  }

  // ConsumeToken marks the token used by `serial`, only if it is unused and unexpired. Under READ
  // COMMITTED a concurrent consumer of the same token waits for this row and then finds it used:
  // across replicas a token pays for one certificate.
  Status ConsumeToken(Connection& c, std::string_view hash, std::string_view serial, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(Rows used, c.Exec("consuming the token",
                                              "UPDATE tokens SET used_at = $1, used_by = $2 "
                                              "WHERE hash = $3 AND used_at IS NULL AND "
                                              "expires_at > $1",
                                              Params().Int(now).Text(serial).Text(hash)));
    if (used.Affected() != 1) {
      return Error(Code::kUnauthenticated,
                   "the enrollment token is unknown, expired or already used");
    }
    return OkStatus();
  }

  // InsertAuditEntry writes `e` as it is (its seq and hashes decided by the caller).
  static Status InsertAuditEntry(Connection& c, const AuditEntry& e) {
    return c.Run("writing audit entry " + std::to_string(e.seq),
                 "INSERT INTO audit_log (seq, time, action, serial, subject, detail, prev_hash, "
                 "hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                 Params()
                     .Int(e.seq)
                     .Int(e.time)
                     .Text(e.action)
                     .Text(e.serial)
                     .Text(e.subject)
                     .Text(e.detail)
                     .Text(e.prev_hash)
                     .Text(e.hash));
  }

  // AppendAuditLocked chains a new entry to the head; the caller holds the writers' lock.
  Status AppendAuditLocked(Connection& c, std::string_view action, std::string_view serial,
                           std::string_view subject, std::string_view detail, int64_t now) {
    ANCHOR_ASSIGN_OR_RETURN(Rows head, c.Exec("reading the audit log's head",
                                              "SELECT seq, hash FROM audit_head WHERE id = 1"));
    AuditEntry e;
    e.seq = head.Int(0, 0) + 1;
    e.prev_hash = head.Text(0, 1);
    e.time = now;
    e.action = action;
    e.serial = serial;
    e.subject = subject;
    e.detail = detail;
    e.hash = AuditHash(e);
    ANCHOR_TRY(InsertAuditEntry(c, e));
    return c.Run("advancing the audit log's head",
                 "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                 Params().Int(e.seq).Text(e.hash));
  }

  const std::string conninfo_;  // for the notify watch's own connection
  const std::string application_name_;
  std::vector<std::unique_ptr<Connection>> pool_;
  const bool create_schema_;
  const std::chrono::milliseconds crl_lease_;
  std::atomic<size_t> next_{0};
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 PostgresOptions options) {
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; };
  const std::vector<std::string> session = {
      "SET lock_timeout = '" + ms(options.lock_timeout) + "'",
      "SET idle_in_transaction_session_timeout = '" + ms(options.idle_in_transaction) + "'",
      "SET statement_timeout = '" + ms(options.statement_timeout) + "'"};
  if (options.application_name.empty()) {
    char host[256] = {};
    (void)::gethostname(host, sizeof host - 1);
    // The PID first: PostgreSQL keeps 63 bytes of it, and a long host name is what gets cut.
    options.application_name = "anchor:" + std::to_string(::getpid()) + "@" + std::string(host);
  }
  std::vector<std::unique_ptr<Connection>> pool;
  for (size_t i = 0; i < std::max<size_t>(options.connections, 1); ++i) {
    ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c,
                            Connection::Open(conninfo, session, options.application_name));
    pool.push_back(std::move(c));
  }
  auto store = std::make_unique<PostgresStore>(
      conninfo, options.application_name, std::move(pool), options.create_schema,
      std::max(options.crl_lease, std::chrono::milliseconds(100)));
  ANCHOR_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace anchor::store
