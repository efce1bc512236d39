// SPDX-License-Identifier: Apache-2.0
// File: postgres_store.h: `Store` over PostgreSQL, for several `anchor serve` replicas on one
// database.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/store.h"

namespace anchor::store {

// PostgresOptions tune OpenPostgresStore.
struct PostgresOptions {
  // connections is how many connections the store keeps (reads and writes share them): enough
  // for the server's threads to read in parallel.
  size_t connections = 8;
  // lock_timeout bounds the wait for another writer (the writers' lock): a replica frozen in the
  // middle of a transaction (a paused VM) makes the others answer 503 after this long, not hang.
  std::chrono::milliseconds lock_timeout{10'000};
  // idle_in_transaction bounds how long a session may sit in an open transaction doing nothing;
  // the server then ends it, and its locks with it.
  std::chrono::milliseconds idle_in_transaction{30'000};
  // statement_timeout bounds one statement.
  std::chrono::milliseconds statement_timeout{30'000};
  // crl_lease bounds how long one store may hold the CRL lease (Store::PublishCrl), by the
  // database's clock from the start of the holder's transaction: building and signing a CRL must
  // fit in it. Past it, another store that wants the lease ends the holder's session, and the
  // server ends a holder idle that long; a replica that stalls while building (a paused VM,
  // SIGSTOP) thus holds the others' CRLs back for at most this long.
  std::chrono::milliseconds crl_lease{10'000};
  // application_name names this store's sessions in pg_stat_activity and in the built_by column
  // of the CRLs it stores; "" for "anchor:PID@HOST". A name in the URI takes precedence.
  std::string application_name;
  // create_schema: a database without anchor's tables gets them (a new CA, a migration). An
  // existing CA's store opens with false: a database dropped and made again, or the wrong one,
  // is then kFailedPrecondition, and nothing is created in it.
  bool create_schema = true;
};

// OpenPostgresStore connects to the database that `conninfo` names (a libpq "key=value" string
// or a postgres:// URI; the password from $PGPASSWORD or the passfile, never from anchor's
// command line) and applies pending migrations, under an advisory lock so that replicas starting
// together migrate once. Every method is one transaction; writers serialise on the audit log's
// head row (one chain, sequence and CRL numbers in commit order); a token is consumed, and a
// renewed certificate checked unrevoked, in the transaction that records the new certificate,
// so that across replicas a token pays for one certificate. A database that cannot be reached
// is kUnavailable; one written by a newer anchor is kFailedPrecondition.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 PostgresOptions options = {});

}  // namespace anchor::store
