// SPDX-License-Identifier: Apache-2.0
// File: migrations.h: the versioned SQLite schema.
#pragma once

#include <span>
#include <string_view>

namespace anchor::store::sqlite {

// Migrations returns the schema steps in order; step i brings PRAGMA user_version from i to i+1.
// A released step is never edited: a change is a new step.
std::span<const std::string_view> Migrations();

}  // namespace anchor::store::sqlite
