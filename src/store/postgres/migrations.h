// SPDX-License-Identifier: Apache-2.0
// File: migrations.h: the versioned PostgreSQL schema.
#pragma once

#include <span>
#include <string_view>

namespace anchor::store::postgres {

// Migrations returns the schema steps in order; step i brings anchor_schema.version from i to
// i+1. A released step is never edited: a change is a new step. Step 1 is the SQLite schema at
// its version 5, with what several writers on one database need (store/postgres/postgres_store.h).
std::span<const std::string_view> Migrations();

}  // namespace anchor::store::postgres
