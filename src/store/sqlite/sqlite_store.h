// SPDX-License-Identifier: Apache-2.0
// File: sqlite_store.h: the embedded default `Store`, SQLite in WAL mode.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace anchor::store {

// OpenSqliteStore opens (creating if needed) the database at `path` (":memory:" for tests),
// switches it to WAL with synchronous=FULL, and applies pending migrations. A database written
// by a newer anchor is kFailedPrecondition.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// CodeForSqlite is the error code of a failed SQLite call with (extended) result code
// `result_code`, chosen by what the caller can do about it: kUnavailable when the database
// cannot be written or reached now (full, I/O error, read-only, locked, out of memory), which
// passes once the operator acts, so clients should retry; kAlreadyExists for a duplicate key;
// kInternal otherwise (a corrupt file, a misuse).
Code CodeForSqlite(int result_code);

}  // namespace anchor::store
