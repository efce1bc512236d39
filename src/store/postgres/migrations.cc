// SPDX-License-Identifier: Apache-2.0
// File: migrations.cc: schema steps of the PostgreSQL store.
#include "store/postgres/migrations.h"

#include <array>

namespace anchor::store::postgres {
namespace {

// v1: the tables of the SQLite store at its schema v5 (same columns, same meanings, BIGINT Unix
// seconds, BYTEA for the DER), and three one-row tables that make several `anchor serve`
// replicas on one database correct:
// - audit_head holds the newest audit entry's seq and hash. Every writing transaction locks it
//   first (SELECT ... FOR UPDATE), so appends are serialised into one chain across replicas and
//   all writers take their locks in one order (no deadlock).
// - revocation_head is the revocation sequence's counter, advanced in the revoking transaction
//   under that lock: sequence numbers are given out in commit order, so a feed reader that has
//   seen N has seen every revocation before N (a plain SEQUENCE hands out numbers before commit,
//   and a later number can commit first).
// - crl_numbers, advanced the same way: strictly increasing, never repeated.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE certificates (
  serial             TEXT PRIMARY KEY,
  issuer             TEXT NOT NULL,
  subject            TEXT NOT NULL,
  common_name        TEXT NOT NULL,
  sans               TEXT NOT NULL,          -- one "kind:value" per line
  profile            TEXT NOT NULL,
  not_before         BIGINT NOT NULL,
  not_after          BIGINT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
  revoked_at         BIGINT,
  revocation_reason  INTEGER,
  der                BYTEA NOT NULL,
  fingerprint        TEXT NOT NULL UNIQUE,
  token_hash         TEXT,
  created_at         BIGINT NOT NULL,
  renews             TEXT REFERENCES certificates (serial),
  issuer_fingerprint TEXT
);
CREATE INDEX certificates_by_expiry ON certificates (status, not_after);
CREATE INDEX certificates_by_created ON certificates (created_at);
CREATE INDEX certificates_by_renews ON certificates (renews) WHERE renews IS NOT NULL;
CREATE INDEX certificates_by_cn ON certificates (common_name, created_at);
CREATE INDEX certificates_unattributed ON certificates (serial) WHERE issuer_fingerprint IS NULL;
CREATE INDEX certificates_revoked_by_issuer ON certificates
  (issuer_fingerprint, not_after, serial, revoked_at, revocation_reason) WHERE status = 'revoked';
CREATE TABLE revocations (
  seq        BIGINT PRIMARY KEY,
  serial     TEXT NOT NULL REFERENCES certificates (serial),
  revoked_at BIGINT NOT NULL,
  reason     INTEGER NOT NULL
);
CREATE TABLE revocation_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  last BIGINT NOT NULL
);
INSERT INTO revocation_head (id, last) VALUES (1, 0);
CREATE TABLE crl_numbers (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  last BIGINT NOT NULL
);
INSERT INTO crl_numbers (id, last) VALUES (1, 0);
CREATE TABLE audit_log (
  seq       BIGINT PRIMARY KEY,
  time      BIGINT NOT NULL,
  action    TEXT NOT NULL,
  serial    TEXT NOT NULL,
  subject   TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE tokens (
  hash        TEXT PRIMARY KEY,               -- SHA-256 of the token, hex; the token is never stored
  common_name TEXT NOT NULL,
  sans        TEXT NOT NULL,                  -- one "kind:value" per line
  profile     TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  used_at     BIGINT,
  used_by     TEXT REFERENCES certificates (serial)
);
)sql";

// v2: the CRLs the replicas hand out. One replica at a time builds a CRL, under the CRL lease (a
// transaction-level advisory lock, see PostgresStore::PublishCrl), takes its number from
// crl_numbers and stores it here in that transaction; the others hand out the newest one of their
// issuer (UNIQUE (issuer_fingerprint, crl_number) is also that lookup's index). The primary key
// keeps every number once, whatever the builders do; superseded CRLs keep their row without DER.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE crls (
  crl_number         BIGINT PRIMARY KEY,
  issuer_fingerprint TEXT NOT NULL,
  revocation_cursor  BIGINT NOT NULL,
  this_update        BIGINT NOT NULL,
  next_update        BIGINT NOT NULL,
  der                BYTEA,
  built_by           TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  UNIQUE (issuer_fingerprint, crl_number)
);
)sql";

constexpr std::array<std::string_view, 2> kMigrations = {kV1, kV2};

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }

}  // namespace anchor::store::postgres
