// SPDX-License-Identifier: Apache-2.0
// File: store.h: the one persistence interface of anchor. No backend type appears here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/change_signal.h"
#include "core/error.h"

namespace anchor::store {

// CertificateRecord is one issued certificate as the store keeps it. Times are Unix seconds.
struct CertificateRecord {
  std::string serial;  // lower-case hex, unique
  std::string issuer;  // RFC 2253
  // issuer_fingerprint names the CA certificate that signed this one (SHA-256 of its DER,
  // lower-case hex): after an intermediate rotation, two intermediates may share a name, and
  // each answers OCSP and signs a CRL only for what it issued.
  std::string issuer_fingerprint;
  std::string subject;  // RFC 2253
  std::string common_name;
  std::vector<std::string> sans;  // "dns:x", "ip:x", "uri:x"
  std::string profile;
  int64_t not_before = 0;
  int64_t not_after = 0;
  bool revoked = false;
  int64_t revoked_at = 0;
  int revocation_reason = 0;
  std::vector<uint8_t> der;
  std::string fingerprint;  // SHA-256 of the DER, hex, unique
  std::string token_hash;   // the enrollment token that paid for it, when any
  int64_t created_at = 0;
  // renews is the serial of the certificate this one renewed (EST simplereenroll), when any: it
  // is recorded only if that one is still unrevoked when this row commits.
  std::string renews;
};

// StatusFilter selects certificates by their state at `ListFilter::now`.
enum class StatusFilter { kAny, kValid, kRevoked, kExpired };

// StatusCounts are the certificates of the store by their state at a time.
struct StatusCounts {
  int64_t valid = 0;    // not revoked, not expired
  int64_t revoked = 0;  // revoked, expired or not
  int64_t expired = 0;  // not revoked, past notAfter
};

// ListFilter narrows `Store::List`.
struct ListFilter {
  StatusFilter status = StatusFilter::kAny;
  int64_t now = 0;
  std::optional<int64_t> expiring_before;  // not revoked, not yet expired, not_after < this
  std::string profile;                     // empty: any
  std::string common_name;                 // empty: any
  size_t limit = 0;                        // 0: no limit
};

// TokenRecord is a one-time enrollment token as stored: its hash and what it may be redeemed for.
struct TokenRecord {
  std::string hash;  // SHA-256 of the token, lower-case hex
  std::string common_name;
  std::vector<std::string> sans;  // "dns:x", "ip:x", "uri:x"
  std::string profile;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t used_at = 0;  // 0 while unused
  std::string used_by;  // the serial it paid for
};

// RevokedEntry is what a CRL lists of a revoked certificate (RFC 5280 5.3: serial, revocation
// date, reason code).
struct RevokedEntry {
  std::string serial;  // lower-case hex
  int64_t revoked_at = 0;
  int reason = 0;
};

// RevocationEvent is one entry of the revocation sequence that brokers follow with a cursor.
struct RevocationEvent {
  int64_t seq = 0;
  std::string serial;
  int64_t revoked_at = 0;
  int reason = 0;
};

// AuditEntry is one hash-chained audit log entry: `hash` = SHA-256 over the canonical encoding
// of the other fields, which include `prev_hash`, the hash of the entry before.
struct AuditEntry {
  int64_t seq = 0;
  int64_t time = 0;
  std::string action;  // "issue", "revoke", "crl", "init"
  std::string serial;
  std::string subject;
  std::string detail;
  std::string prev_hash;
  std::string hash;
};

// StoredCrl is a signed CRL as the store keeps it: the newest of each issuer with its DER, which
// every `anchor serve` replica on the store hands out (older ones keep their row, not their DER).
struct StoredCrl {
  // issuer_fingerprint is the CA certificate that signed it (SHA-256 of its DER, lower-case hex).
  std::string issuer_fingerprint;
  // number is its cRLNumber: unique in the store and strictly increasing in the order CRLs are
  // stored, across every issuer (one sequence).
  int64_t number = 0;
  // revocation_cursor is the revocation sequence number (`RevocationEvent::seq`) it covers: it
  // lists every certificate of its issuer revoked at or before that event and unexpired when
  // it was built.
  int64_t revocation_cursor = 0;
  int64_t this_update = 0;  // Unix seconds, as in the CRL
  int64_t next_update = 0;
  std::vector<uint8_t> der;
  // built_by names who stored it: the PostgreSQL session's application_name ("anchor:PID@HOST");
  // "" in SQLite, which one process writes.
  std::string built_by;
  int64_t created_at = 0;  // Unix seconds, the builder's `CrlRequest::now`

  // Serves is true when a server may hand it out to a request that came after revocation
  // `latest` was committed, at `now`: it lists every revocation up to `latest`, and less than
  // half its validity has passed. A relying party may keep a CRL until its nextUpdate; signing
  // the next one at half-time bounds how stale a copy held elsewhere gets.
  bool Serves(int64_t latest, int64_t now) const {
    return revocation_cursor >= latest && now < this_update + (next_update - this_update) / 2;
  }
};

// CrlDraft is what a new CRL must say, decided by `Store::PublishCrl` under the CRL lease.
struct CrlDraft {
  int64_t number = 0;             // the cRLNumber it must carry
  int64_t revocation_cursor = 0;  // the newest revocation event it covers
  // revoked are its issuer's revoked certificates, unexpired at `CrlRequest::now`: every one
  // revoked up to `revocation_cursor` (and maybe some after it), in no particular order.
  std::vector<RevokedEntry> revoked;
};

// SignedCrl is a CRL signed from a draft: its DER and its own thisUpdate and nextUpdate.
struct SignedCrl {
  std::vector<uint8_t> der;
  int64_t this_update = 0;  // Unix seconds
  int64_t next_update = 0;
};

// ToStoredCrl is the record of `draft` signed as `signed_crl` by `issuer` (lower-case hex), built
// at `now`; `built_by` is the backend's to fill.
inline StoredCrl ToStoredCrl(std::string issuer, const CrlDraft& draft, SignedCrl signed_crl,
                             int64_t now) {
  return StoredCrl{std::move(issuer),
                   draft.number,
                   draft.revocation_cursor,
                   signed_crl.this_update,
                   signed_crl.next_update,
                   std::move(signed_crl.der),
                   "",
                   now};
}

// CrlSigner signs a draft (in process: the store knows no key). It must not call the store,
// whose transaction (and lease) is open around it. An error is passed back as it is, and
// nothing is stored.
using CrlSigner = std::function<Result<SignedCrl>(const CrlDraft&)>;

// CrlRequest asks `Store::PublishCrl` for a CRL of one issuer.
struct CrlRequest {
  std::string issuer_fingerprint;
  // now (Unix seconds) leaves out the certificates expired by then; it is the audit entry's
  // time.
  int64_t now = 0;
  // reuse_after, when set, lets the newest stored CRL of the issuer be returned instead of a new
  // one if it `Serves(*reuse_after, now)`: a server that waited for the lease then finds the CRL
  // its holder just stored. nullopt: always a new CRL (`anchor crl`).
  std::optional<int64_t> reuse_after;
};

// StoreContents is everything a store holds, as Export reads it and Import writes it
// (`anchor store migrate`): every record as it is, so that the audit chain, the revocation
// sequence and the CRL numbers continue unchanged in the other store.
struct StoreContents {
  std::vector<CertificateRecord> certificates;  // oldest first
  std::vector<TokenRecord> tokens;
  std::vector<RevocationEvent> revocations;  // by seq
  std::vector<AuditEntry> audit;             // by seq
  int64_t crl_number = 0;                    // the last CRL number given out
};

// RevocationWatch, while it lives, tells `Store::revocations()` of the revocations that other
// processes commit on the same data (see Store::WatchRevocations). Destroy it before its store.
class RevocationWatch {
 public:
  virtual ~RevocationWatch() = default;
};

// Store is the persistence interface. Every method is one transaction; implementations are safe
// to call from several threads.
class Store {
 public:
  virtual ~Store() = default;

  // revocations is notified after every Revoke this store object commits (at once, on the
  // revoking thread) and, while a watch from WatchRevocations lives, after those that other
  // processes commit. It is what lets the revocation feed answer a waiting broker the moment a
  // revocation commits (api/revocation_feed.h). While it is not `live`, changes made elsewhere
  // may go unseen: waiters must not rely on it then.
  ChangeSignal& revocations() { return revocations_; }
  // WatchRevocations starts watching for the revocations of other processes. The default checks
  // LatestRevocation every kRevocationPollInterval on a thread of its own: SQLite, whose other
  // writers are commands on the same machine (`anchor revoke`). PostgreSQL instead LISTENs for
  // the NOTIFY that each revoking transaction sends, so replicas learn of each other's
  // revocations when they commit. Errors are the store's (the watch's first connection).
  virtual Result<std::unique_ptr<RevocationWatch>> WatchRevocations();

  // InsertCertificates records `records` and an "issue" audit entry for each, all in one
  // transaction. A record with a `token_hash` also consumes that token in the same transaction;
  // a token that is unknown, used or expired at `now` is kUnauthenticated. A serial or
  // fingerprint that exists already is kAlreadyExists. On any error nothing is written.
  virtual Status InsertCertificates(std::span<const CertificateRecord> records, int64_t now) = 0;
  // InsertEach records each of `records` as InsertCertificates records one, all in one
  // transaction (one commit, one fsync: the group commit of concurrent enrollments), but each
  // on its own: a record refused (kAlreadyExists, a token used meanwhile: kUnauthenticated)
  // leaves no trace and gets its error at its index, while the others commit. The outer error is
  // the transaction failing as a whole (the database cannot be written: kUnavailable), when
  // nothing is written.
  virtual Result<std::vector<Status>> InsertEach(std::span<const CertificateRecord> records,
                                                 int64_t now) = 0;
  // FindBySerial returns the record of `serial` (hex), or kNotFound.
  virtual Result<CertificateRecord> FindBySerial(std::string_view serial) = 0;
  // List returns records matching `filter`, newest first.
  virtual Result<std::vector<CertificateRecord>> List(const ListFilter& filter) = 0;
  // CountCertificates returns how many certificates the store holds.
  virtual Result<int64_t> CountCertificates() = 0;
  // CountByStatus counts the certificates by their state at `now` (the metrics read it at each
  // scrape, so offline `anchor sign` and `anchor revoke` show).
  virtual Result<StatusCounts> CountByStatus(int64_t now) = 0;
  // Revoke marks `serial` revoked, appends it to the revocation sequence and the audit log, in
  // one transaction. kNotFound for an unknown serial, kFailedPrecondition if already revoked.
  virtual Result<RevocationEvent> Revoke(std::string_view serial, int64_t revoked_at, int reason,
                                         std::string_view detail) = 0;
  // RevokedUnexpired returns the certificates issued by the CA certificate with SHA-256
  // `issuer_fingerprint` that are revoked and whose notAfter is after `now`: that issuer's CRL
  // entries, in no particular order (the CRL encoder sorts them).
  virtual Result<std::vector<RevokedEntry>> RevokedUnexpired(std::string_view issuer_fingerprint,
                                                             int64_t now) = 0;
  // AttributeIssuer records `issuer_fingerprint` as the issuer of every certificate recorded
  // without one: the rows written before the store recorded issuers (schema v5), when the CA had
  // one intermediate, which issued them all. The CA home calls it when it opens, before an
  // intermediate can be rotated; it writes only when there is such a row. Returns how many rows
  // it attributed.
  virtual Result<int64_t> AttributeIssuer(std::string_view issuer_fingerprint) = 0;
  // RevocationsSince returns events with seq > `cursor`, oldest first, at most `limit`.
  virtual Result<std::vector<RevocationEvent>> RevocationsSince(int64_t cursor, size_t limit) = 0;
  // LatestRevocation returns the seq of the newest revocation event, 0 when there is none: one
  // indexed lookup, so that caches of signed answers (OCSP responses, the CRL) can tell on every
  // request whether anything was revoked since they signed.
  virtual Result<int64_t> LatestRevocation() = 0;
  // PublishCrl stores the next CRL of `request.issuer_fingerprint`, or returns the newest stored
  // one when it serves (`CrlRequest::reuse_after`). It holds the CRL lease, which one builder has
  // at a time across every store on the database, and in the one transaction that holds it: reads
  // the revocation cursor, then the issuer's revoked unexpired certificates, takes the next CRL
  // number, hands that draft to `sign`, and records the signed CRL (unique number) with a "crl"
  // audit entry. All of it commits, or nothing does: a number is used by a stored CRL or by none,
  // and a CRL is returned only once stored. The CRLs it supersedes lose their DER, not their row.
  //
  // PostgreSQL: the lease is a transaction-level advisory lock, held for at most
  // `PostgresOptions::crl_lease` by the database's clock. Past it, a store that wants the lease
  // ends the holder's session (pg_terminate_backend), the server ends a holder idle that long
  // (idle_in_transaction_session_timeout), and a holder that reaches its commit that late does
  // not commit: either way everything it did is rolled back. A store that waits longer than twice
  // the lease gets kUnavailable. SQLite (one process): one builder at a time in the process; the
  // number is read, signed, and taken in the write transaction that records the CRL only if no
  // other process (`anchor crl`) took it meanwhile, else the draft is made again (three times,
  // then kUnavailable).
  virtual Result<StoredCrl> PublishCrl(const CrlRequest& request, const CrlSigner& sign) = 0;
  // NewestCrl returns the stored CRL of `issuer_fingerprint` with the highest number, nullopt when
  // there is none: what a server hands out while it `Serves`.
  virtual Result<std::optional<StoredCrl>> NewestCrl(std::string_view issuer_fingerprint) = 0;
  // InsertToken records a new token (and a "token" audit entry). A duplicate hash is
  // kAlreadyExists.
  virtual Status InsertToken(const TokenRecord& token, int64_t now) = 0;
  // FindToken returns the token with `hash`, or kNotFound.
  virtual Result<TokenRecord> FindToken(std::string_view hash) = 0;
  // AppendAudit adds a free-standing audit entry (e.g. "init").
  virtual Status AppendAudit(std::string_view action, std::string_view serial,
                             std::string_view subject, std::string_view detail, int64_t now) = 0;
  // AuditLog returns the whole audit log, oldest first.
  virtual Result<std::vector<AuditEntry>> AuditLog() = 0;
  // FirstAuditEntry is the oldest audit entry (`anchor init` writes it: action "init", the
  // root's serial), nullopt when the log is empty: what tells whose records a store holds.
  virtual Result<std::optional<AuditEntry>> FirstAuditEntry() = 0;

  // Export reads the whole store in one transaction that keeps every writer out (SQLite: BEGIN
  // IMMEDIATE; PostgreSQL: the writers' lock), and hands it to `sink` while still holding it: a
  // write that comes meanwhile waits (or fails kUnavailable), it is never lost behind the copy.
  // The contents live in memory: about 1 KiB per certificate.
  virtual Status Export(const std::function<Status(const StoreContents&)>& sink) = 0;
  // Import writes `contents` into this store, which must hold no certificate, token or audit
  // entry (kAlreadyExists otherwise), in one transaction: all of it or nothing.
  virtual Status Import(const StoreContents& contents) = 0;

 protected:
  ChangeSignal revocations_;
};

// kRevocationPollInterval is how often the default WatchRevocations looks for revocations made
// by other processes: the most a feed waiter learns late of an offline `anchor revoke`.
inline constexpr std::chrono::milliseconds kRevocationPollInterval{250};

}  // namespace anchor::store
