// SPDX-License-Identifier: Apache-2.0
// File: backup_archive.h: the backup file of a CA home: a snapshot of the SQLite store taken
// with SQLite's online backup API, with the home's other files and a manifest in two more tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace anchor::store {

// kBackupFormat is the version of the backup file layout written by WriteBackupArchive (see
// docs/OPERATIONS.md "Backup and restore"). ReadBackupArchive refuses any other. Format 2: the
// content digest covers the store's schema.
inline constexpr int kBackupFormat = 2;

// ArchivedFile is one file of the CA home kept in a backup, beside the store. `path` is relative
// to the home ("root.crt", "anchor.toml"), `mode` its permission bits. A key (`is_key`) holds an
// encrypted PKCS#8 PEM ("ENCRYPTED PRIVATE KEY"); `encrypted_at_rest` says whether the home kept
// it encrypted, so that a restore writes it back as it was.
struct ArchivedFile {
  std::string path;
  uint32_t mode = 0644;
  std::string content;
  bool is_key = false;
  bool encrypted_at_rest = false;
};

// BackupManifest is what a backup records about its snapshot, for the checks of a restore.
// `content_digest` is SHA-256 (hex) chained over the store's schema version, its schema (every
// sqlite_master entry but the backup's own tables) and every row of every store table, in
// table-name and rowid order: a flipped bit anywhere in the store's schema or rows changes it.
// It catches accidents and corruption, not a forger, who can recompute it.
struct BackupManifest {
  int format = kBackupFormat;
  int64_t created_at = 0;      // Unix seconds
  int64_t schema_version = 0;  // the store's PRAGMA user_version
  int64_t certificate_count = 0;
  int64_t audit_entries = 0;
  std::string audit_head;  // the newest audit entry's hash; "" for an empty log
  std::string content_digest;
  bool with_keys = false;
  std::vector<std::string> keys_left_out;  // the home's keys a backup without keys left out
};

// WriteBackupArchive copies the SQLite store at `db_path` into a new backup file at `out_path`
// with the online backup API (sqlite3_backup_step over the whole database in one read
// transaction: one consistent snapshot, WAL included, while other processes keep writing), adds
// `files` and the manifest, and returns the manifest. `created_at` and `with_keys` are taken
// from `base`; the rest is read from the snapshot. The file is
// written beside `out_path`, fsynced and renamed into place, mode 0600; an existing `out_path`
// is kAlreadyExists. On any error nothing is left at `out_path`.
Result<BackupManifest> WriteBackupArchive(const std::string& db_path, const std::string& out_path,
                                          const std::vector<ArchivedFile>& files,
                                          const BackupManifest& base);

// BackupContents is a backup file read and checked by ReadBackupArchive.
struct BackupContents {
  BackupManifest manifest;
  std::vector<ArchivedFile> files;
};

// ReadBackupArchive opens the backup file at `path` read-only and checks it: a readable regular
// file (kNotFound when missing, kFailedPrecondition "permission denied for user ..."), a SQLite
// database (kInvalidArgument "not an anchor backup" otherwise), PRAGMA integrity_check, the
// format, the schema (exactly what this anchor's migrations make for the backup's schema
// version, plus the backup's two tables: anything extra or different is refused, named; a
// newer version is kFailedPrecondition), each file's SHA-256 and the content digest against the
// manifest. Every other failure is kInvalidArgument naming what is wrong. It does not check the
// audit chain: ExtractStore's result is opened as a store for that. The path is any file name
// ('%', '?', '#' included).
Result<BackupContents> ReadBackupArchive(const std::string& path);

// ExtractStore writes the store of the backup at `archive_path` to a new database at
// `db_path` (the backup's own tables left out), in WAL mode as the store runs.
Status ExtractStore(const std::string& archive_path, const std::string& db_path);

}  // namespace anchor::store
