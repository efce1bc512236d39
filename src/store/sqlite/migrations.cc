// SPDX-License-Identifier: Apache-2.0
// File: migrations.cc: schema steps of the SQLite store.
#include "store/sqlite/migrations.h"

#include <array>

namespace anchor::store::sqlite {
namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE certificates (
  serial            TEXT PRIMARY KEY,
  issuer            TEXT NOT NULL,
  subject           TEXT NOT NULL,
  common_name       TEXT NOT NULL,
  sans              TEXT NOT NULL,          -- one "kind:value" per line
  profile           TEXT NOT NULL,
  not_before        INTEGER NOT NULL,
  not_after         INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
  revoked_at        INTEGER,
  revocation_reason INTEGER,
  der               BLOB NOT NULL,
  fingerprint       TEXT NOT NULL UNIQUE,
  token_hash        TEXT,
  created_at        INTEGER NOT NULL
);
CREATE INDEX certificates_by_expiry ON certificates (status, not_after);
CREATE INDEX certificates_by_created ON certificates (created_at);
CREATE TABLE revocations (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  serial     TEXT NOT NULL REFERENCES certificates (serial),
  revoked_at INTEGER NOT NULL,
  reason     INTEGER NOT NULL
);
CREATE TABLE crl_numbers (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  last INTEGER NOT NULL
);
INSERT INTO crl_numbers (id, last) VALUES (1, 0);
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  time      INTEGER NOT NULL,
  action    TEXT NOT NULL,
  serial    TEXT NOT NULL,
  subject   TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
)sql";

// v2: one-time enrollment tokens, stored as SHA-256 hashes only.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE tokens (
  hash        TEXT PRIMARY KEY,               -- SHA-256 of the token, hex; the token is never stored
  common_name TEXT NOT NULL,
  sans        TEXT NOT NULL,                  -- one "kind:value" per line
  profile     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_by     TEXT REFERENCES certificates (serial)
);
)sql";

// v3: what a CRL lists, read from an index alone: at 100k revocations the query reading whole
// rows and sorting them took 400 ms of a 0.8 s CRL (bench/store_growth.sh), this one 25 ms.
constexpr std::string_view kV3 = R"sql(
CREATE INDEX certificates_revoked ON certificates (not_after, serial, revoked_at, revocation_reason)
  WHERE status = 'revoked';
)sql";

// v4: the lineage of renewals: which certificate a renewal (EST simplereenroll) renewed (the
// insert of a renewal checks, in its transaction, that this one is not revoked); and a device's
// certificates by CN, newest first (a factory certificate may not re-admit a CN whose latest
// certificate was revoked).
constexpr std::string_view kV4 = R"sql(
ALTER TABLE certificates ADD COLUMN renews TEXT REFERENCES certificates (serial);
CREATE INDEX certificates_by_renews ON certificates (renews) WHERE renews IS NOT NULL;
CREATE INDEX certificates_by_cn ON certificates (common_name, created_at);
)sql";

// v5: the issuer of every certificate (SHA-256 of the issuing CA certificate), so that after an
// intermediate rotation each generation answers OCSP and signs its CRL for what it issued alone.
// Rows written before have none: `Store::AttributeIssuer` backfills them with the intermediate of
// the CA home, which issued them all, found by the partial index certificates_unattributed. The
// CRL's index leads with the issuer now.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE certificates ADD COLUMN issuer_fingerprint TEXT;
CREATE INDEX certificates_unattributed ON certificates (serial) WHERE issuer_fingerprint IS NULL;
DROP INDEX certificates_revoked;
CREATE INDEX certificates_revoked_by_issuer ON certificates
  (issuer_fingerprint, not_after, serial, revoked_at, revocation_reason) WHERE status = 'revoked';
)sql";

// v6: the CRLs `anchor serve` hands out, stored with the number taken for them in the same
// transaction (the primary key keeps every number once), so that `anchor crl` and serve share one
// sequence and serve hands out the newest of its issuer. Superseded CRLs keep their row without
// DER. The same table as PostgreSQL's v2.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE crls (
  crl_number         INTEGER PRIMARY KEY,
  issuer_fingerprint TEXT NOT NULL,
  revocation_cursor  INTEGER NOT NULL,
  this_update        INTEGER NOT NULL,
  next_update        INTEGER NOT NULL,
  der                BLOB,
  built_by           TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  UNIQUE (issuer_fingerprint, crl_number)
);
)sql";

constexpr std::array<std::string_view, 6> kMigrations = {kV1, kV2, kV3, kV4, kV5, kV6};

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }

}  // namespace anchor::store::sqlite
