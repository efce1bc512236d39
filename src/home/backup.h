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
  std::vector<std::string> files;              // relative paths, keys included
  std::vector<std::string> keys_left_out;      // without --with-keys
  std::vector<std::string> not_backed_up;      // entries of the home that are not a CA home's files
  std::vector<std::string> symlinks_followed;  // "anchor.toml -> /etc/anchor.toml": target read
  uint64_t bytes = 0;                          // size of the backup file
};

// BackupCaHome writes the CA home `home` into the new file `out` while `anchor serve` may run:
// the store through SQLite's online backup API (store::WriteBackupArchive: one consistent
// snapshot, WAL included), and the home's own files as home_files.h names them (anchor.toml,
// certificates, intermediate generations; keys only with `with_keys`, and without it no key
// is read; with it, server.* and ocsp.* are read under LockOwnCertificates, so that a renewal
// by `anchor serve` meanwhile never gives a new key with the old certificate; the backup waits
// for it). Anything else in the home (an earlier backup kept there) is left out and named in
// `not_backed_up`. A known file that is a symbolic link to a regular file is read through it
// (named in `symlinks_followed`; a restore writes a plain file); any other link or non-file
// under a known name is refused. Errors: kFailedPrecondition when `home` is not a CA home or
// cannot be read ("permission denied"), a certificate file holds a private key, or
// `with_keys` without a passphrase; kAlreadyExists when `out` exists. Nothing is left at `out`
// or beside it on any failure, nor when SIGINT/SIGTERM arrives while it is written (the signal
// is held back until the temporary file is removed).
Result<BackupReport> BackupCaHome(const std::string& home, const std::string& out,
                                  const BackupOptions& options, const Clock& clock);

// RestoreReport says what was restored.
struct RestoreReport {
  store::BackupManifest manifest;
  size_t files = 0;
  size_t keys = 0;
  std::vector<std::string> keys_left_out;  // a backup without keys: what to copy in by hand
};

// RestoreCaHome checks the backup at `backup` and only then puts it in place as the CA home
// `target` (a trailing slash and "." are fine): the target first (new, or an existing empty
// directory, before any slow check), then the file (store::ReadBackupArchive: SQLite
// integrity, exactly this anchor's schema, per-file SHA-256, the digest of the schema and
// rows), its files (only a CA home's own names, home_files.h; never the store's; anchor.toml,
// root.crt and intermediate.crt present, and intermediate.key and server.key when made with
// keys), the audit hash chain (`anchor audit verify`'s check), the certificate count and audit
// head recorded at backup time, and that `passphrase` opens every key. Modes are permission
// bits only; keys 0600. How it goes into place, and what SIGINT/SIGTERM do meanwhile, is said
// at the top of restore.cc: on any failure or interruption nothing is left. A `target` that
// exists and is not an empty directory is kAlreadyExists; a bad backup is kInvalidArgument; a
// wrong or missing passphrase for its keys kUnauthenticated / kFailedPrecondition.
Result<RestoreReport> RestoreCaHome(const std::string& backup, const std::string& target,
                                    const SecretBytes* passphrase);

}  // namespace anchor::home
