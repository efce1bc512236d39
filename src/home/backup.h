// SPDX-License-Identifier: Apache-2.0
// File: backup.h: `anchor backup` and `anchor restore`: a CA home into one file and back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "store/sqlite/backup_archive.h"

namespace anchor::home {

// BackupOptions: with `with_keys`, every private key of the home goes into the backup as
// encrypted PKCS#8 under `passphrase` (required then; it also opens keys the home keeps
// encrypted, which share the CA's one passphrase). Without it no key is read.
struct BackupOptions {
  bool with_keys = false;
  const SecretBytes* passphrase = nullptr;
};

// BackupReport says what a backup holds.
struct BackupReport {
  store::BackupManifest manifest;
  std::vector<std::string> files;          // relative paths, keys included
  std::vector<std::string> keys_left_out;  // without --with-keys
  uint64_t bytes = 0;                      // size of the backup file
};

// BackupCaHome writes the CA home `home` into the new file `out` while `anchor serve` may run:
// the store through SQLite's online backup API (store::WriteBackupArchive: one consistent
// snapshot, WAL included), and every other regular file of the home (anchor.toml, certificates;
// keys only with `with_keys`). Errors: kFailedPrecondition when `home` is not a CA home, or
// `with_keys` without a passphrase; kAlreadyExists when `out` exists; nothing is left at `out`
// on any failure.
Result<BackupReport> BackupCaHome(const std::string& home, const std::string& out,
                                  const BackupOptions& options, const Clock& clock);

// RestoreReport says what was restored.
struct RestoreReport {
  store::BackupManifest manifest;
  size_t files = 0;
  size_t keys = 0;
};

// RestoreCaHome checks the backup at `backup` and only then puts it in place as the CA home
// `target`: the file (store::ReadBackupArchive: SQLite integrity, per-file SHA-256, the digest
// of the store's rows), the schema version (not newer than this anchor), the audit hash chain
// (`anchor audit verify`'s check), the certificate count and audit head recorded at backup
// time, and that `passphrase` opens every key. Everything is written to a temporary sibling
// directory, fsynced, and renamed to `target` in one step: on any failure nothing is left.
// A `target` that exists and is not an empty directory is kAlreadyExists; a bad backup is
// kInvalidArgument; a wrong or missing passphrase for its keys kUnauthenticated /
// kFailedPrecondition.
Result<RestoreReport> RestoreCaHome(const std::string& backup, const std::string& target,
                                    const SecretBytes* passphrase);

}  // namespace anchor::home
