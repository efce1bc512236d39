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

}  // namespace anchor::store
