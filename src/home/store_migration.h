// SPDX-License-Identifier: Apache-2.0
// File: store_migration.h: `anchor store migrate`: a CA home's records moved from its SQLite
// store into an empty PostgreSQL database, which anchor.toml then names.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace anchor::home {

// MigrationReport says what was moved.
struct MigrationReport {
  int64_t certificates = 0;
  int64_t tokens = 0;
  int64_t revocations = 0;
  int64_t audit_entries = 0;
  std::string audit_head;  // the newest audit entry's hash, the same in both stores
  int64_t crl_number = 0;
};

// MigrateStore copies every record of the CA home `home` (its SQLite store, anchor.db) into the
// PostgreSQL database `url` (home::CheckStoreUrl; it must hold no record: kAlreadyExists), then
// checks the copy (the same number of each record, an audit chain that verifies, ending on the
// same hash; a database that already holds exactly this copy, left by a migration interrupted
// after its import, is taken as it is) and only then writes `[store] url` into anchor.toml
// (appended, so the file keeps its comments; written atomically). The source is read in one
// transaction that keeps its writers out (`Store::Export`); it refuses to run while an `anchor
// serve` holds the home (HoldServing), which would go on writing anchor.db afterwards. On any error
// anchor.toml is unchanged. The import is one transaction (all or nothing); only if the check or
// the write of anchor.toml fails after it has committed does the database keep the copy, and
// the error says to empty it before trying again. A home whose store is PostgreSQL already is
// kFailedPrecondition.
Result<MigrationReport> MigrateStore(const std::string& home, const std::string& url);

}  // namespace anchor::home
