// SPDX-License-Identifier: Apache-2.0
// File: postgres_schema.h: a fresh PostgreSQL schema per test, on the throwaway cluster that
// ctest's `postgres` fixture starts (tests/postgres/cluster.sh).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "store/postgres/connection.h"

namespace anchor::testing {

// PostgresSchema creates schema "t<pid>_<n>" in the database $ANCHOR_TEST_POSTGRES_DSN names and
// drops it (with everything in it) when it goes. Without that variable it is not available, and
// the test that asked for it skips itself (STYLE.md 8.6).
class PostgresSchema {
 public:
  // Dsn is $ANCHOR_TEST_POSTGRES_DSN, "" when unset.
  static std::string Dsn() {
    const char* dsn = std::getenv("ANCHOR_TEST_POSTGRES_DSN");
    return dsn != nullptr ? dsn : "";
  }

  PostgresSchema() {
    static std::atomic<int> counter{0};
    if (Dsn().empty()) {
      return;
    }
    name_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    auto admin = store::postgres::Connection::Open(Dsn());
    if (!admin) {
      error_ = admin.error().message();
      return;
    }
    admin_ = std::move(admin).value();
    if (auto made = admin_->Run("creating a test schema", "CREATE SCHEMA " + name_); !made) {
      error_ = made.error().message();
      admin_.reset();
    }
  }
  ~PostgresSchema() {
    if (admin_) {
      (void)admin_->Run("dropping a test schema", "DROP SCHEMA " + name_ + " CASCADE");
    }
  }
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;

  bool available() const { return admin_ != nullptr; }
  // error says why the schema could not be made when the DSN was given ("" otherwise).
  const std::string& error() const { return error_; }
  // Conninfo connects to the schema: the DSN (a URI or key=value pairs) with its search_path.
  std::string Conninfo() const {
    const std::string dsn = Dsn();
    if (dsn.starts_with("postgres://") || dsn.starts_with("postgresql://")) {
      return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
             name_;
    }
    return dsn + " options='-csearch_path=" + name_ + "'";
  }

 private:
  std::string name_;
  std::string error_;
  std::unique_ptr<store::postgres::Connection> admin_;
};

}  // namespace anchor::testing
