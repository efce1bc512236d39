// SPDX-License-Identifier: Apache-2.0
// File: backup_archive.cc: the backup file: an online-backup copy of the store plus two tables.
#include "store/sqlite/backup_archive.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/file_io.h"
#include "core/text.h"
#include "crypto/digest.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace anchor::store {
namespace {

using sqlite::Db;
using sqlite::Stmt;

// The backup's own tables; every other table of the file is the store's.
constexpr char kManifestTable[] = "anchor_backup_manifest";
constexpr char kFilesTable[] = "anchor_backup_files";

constexpr char kCreateTables[] = R"sql(
CREATE TABLE anchor_backup_manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE anchor_backup_files (
  path              TEXT PRIMARY KEY,   -- relative to the CA home
  mode              INTEGER NOT NULL,   -- permission bits
  kind              TEXT NOT NULL CHECK (kind IN ('file', 'key')),
  encrypted_at_rest INTEGER NOT NULL,   -- a key the home kept encrypted
  sha256            TEXT NOT NULL,      -- of content, hex
  content           BLOB NOT NULL       -- a key: encrypted PKCS#8, PEM
);
)sql";

Error DbError(sqlite3* db, const std::string& what) {
  return Error(CodeForSqlite(::sqlite3_extended_errcode(db)),
               what + ": " + (db != nullptr ? ::sqlite3_errmsg(db) : "out of memory"));
}

Result<Db> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = ::sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return DbError(raw, "cannot open " + path);
  }
  ::sqlite3_busy_timeout(raw, 10000);
  return db;
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& what) {
  if (::sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return DbError(db, what);
  }
  return OkStatus();
}

Result<Stmt> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (::sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    return DbError(db, "reading the backup");
  }
  return Stmt(s);
}

// QueryText runs a one-row, one-column query; "" when it yields no row.
Result<std::string> QueryText(sqlite3* db, const std::string& sql) {
  ANCHOR_ASSIGN_OR_RETURN(Stmt s, Prepare(db, sql));
  const int rc = ::sqlite3_step(s.get());
  if (rc == SQLITE_ROW) {
    return sqlite::ColumnText(s.get(), 0);
  }
  if (rc == SQLITE_DONE) {
    return std::string();
  }
  return DbError(db, "reading the backup");
}

Result<int64_t> QueryInt(sqlite3* db, const std::string& sql) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, QueryText(db, sql));
  return text.empty() ? 0 : std::stoll(text);
}

// Copy runs SQLite's online backup of `from` into `to` in one step: the whole database is read
// in one read transaction, so the copy is one consistent snapshot (what a writer commits during
// the copy is in the source's WAL and not in it), and writers are never blocked in WAL mode.
Status Copy(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = ::sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) {
    return DbError(to, "cannot start the online backup");
  }
  int rc = SQLITE_OK;
  // SQLITE_BUSY/LOCKED: a writer holds a lock for a moment (a checkpoint); try again.
  for (int attempt = 0; attempt < 200; ++attempt) {
    rc = ::sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
      break;
    }
    ::sqlite3_sleep(50);
  }
  const int finish = ::sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finish != SQLITE_OK) {
    return Error(
        CodeForSqlite(rc != SQLITE_DONE ? rc : finish),
        std::string("online backup failed: ") + ::sqlite3_errstr(rc != SQLITE_DONE ? rc : finish));
  }
  return OkStatus();
}

// StoreTables lists the store's tables (not the backup's), by name: sqlite_sequence (the
// audit log's AUTOINCREMENT counter) is the store's too.
Result<std::vector<std::string>> StoreTables(sqlite3* db) {
  ANCHOR_ASSIGN_OR_RETURN(
      Stmt s, Prepare(db,
                      "SELECT name FROM sqlite_master WHERE type = 'table' AND (name NOT LIKE "
                      "'sqlite\\_%' ESCAPE '\\' OR name = 'sqlite_sequence') AND name NOT LIKE "
                      "'anchor\\_backup\\_%' ESCAPE '\\' ORDER BY name"));
  std::vector<std::string> out;
  while (::sqlite3_step(s.get()) == SQLITE_ROW) {
    out.push_back(sqlite::ColumnText(s.get(), 0));
  }
  return out;
}

// AppendValue encodes one column value: its type, its length, its bytes.
void AppendValue(std::string& out, sqlite3_stmt* s, int col) {
  const int type = ::sqlite3_column_type(s, col);
  std::string bytes;
  if (type == SQLITE_INTEGER) {
    bytes = std::to_string(::sqlite3_column_int64(s, col));
  } else if (type == SQLITE_FLOAT) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", ::sqlite3_column_double(s, col));
    bytes = buf;
  } else if (type != SQLITE_NULL) {
    const void* p = ::sqlite3_column_blob(s, col);
    bytes.assign(static_cast<const char*>(p), static_cast<size_t>(::sqlite3_column_bytes(s, col)));
  }
  out += std::to_string(type) + ":" + std::to_string(bytes.size()) + ":" + bytes;
}

// SchemaEntry is one row of sqlite_master: a table, index, view or trigger and its SQL.
struct SchemaEntry {
  std::string type, name, tbl_name, sql;
  bool has_sql = false;  // SQLite's own indexes (UNIQUE, PRIMARY KEY) have none
  bool operator==(const SchemaEntry&) const = default;
  std::string Text() const { return type + " " + name + " (on " + tbl_name + ")"; }
};

// ReadSchema reads sqlite_master, by type and name. With `store_only`, the backup's own tables
// (and what belongs to them) are left out.
Result<std::vector<SchemaEntry>> ReadSchema(sqlite3* db, bool store_only) {
  std::string sql = "SELECT type, name, tbl_name, sql FROM sqlite_master";
  if (store_only) {
    sql += " WHERE tbl_name NOT LIKE 'anchor\\_backup\\_%' ESCAPE '\\'";
  }
  ANCHOR_ASSIGN_OR_RETURN(Stmt s, Prepare(db, sql + " ORDER BY type, name"));
  std::vector<SchemaEntry> out;
  int rc = SQLITE_ROW;
  while ((rc = ::sqlite3_step(s.get())) == SQLITE_ROW) {
    out.push_back({sqlite::ColumnText(s.get(), 0), sqlite::ColumnText(s.get(), 1),
                   sqlite::ColumnText(s.get(), 2), sqlite::ColumnText(s.get(), 3),
                   ::sqlite3_column_type(s.get(), 3) != SQLITE_NULL});
  }
  if (rc != SQLITE_DONE) {
    return DbError(db, "reading the schema");
  }
  return out;
}

// ContentDigest chains SHA-256 over the store's schema version and schema (every sqlite_master
// entry: a trigger or a changed column changes it) and then every row of every store table:
// h = SHA-256(h || row).
Result<std::string> ContentDigest(sqlite3* db) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<std::string> tables, StoreTables(db));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<SchemaEntry> schema, ReadSchema(db, /*store_only=*/true));
  ANCHOR_ASSIGN_OR_RETURN(int64_t version, QueryInt(db, "PRAGMA user_version"));
  std::string chain = crypto::Sha256Hex(std::string(64, '0') + "schema:" + std::to_string(version));
  for (const SchemaEntry& e : schema) {
    chain = crypto::Sha256Hex(chain + std::to_string(e.type.size()) + ":" + e.type +
                              std::to_string(e.name.size()) + ":" + e.name +
                              std::to_string(e.tbl_name.size()) + ":" + e.tbl_name +
                              (e.has_sql ? std::to_string(e.sql.size()) + ":" + e.sql : "-"));
  }
  for (const std::string& table : tables) {
    chain = crypto::Sha256Hex(chain + "table:" + table);
    ANCHOR_ASSIGN_OR_RETURN(Stmt s, Prepare(db, "SELECT * FROM \"" + table + "\" ORDER BY rowid"));
    const int columns = ::sqlite3_column_count(s.get());
    int rc = SQLITE_ROW;
    while ((rc = ::sqlite3_step(s.get())) == SQLITE_ROW) {
      std::string row = chain;
      for (int c = 0; c < columns; ++c) {
        AppendValue(row, s.get(), c);
      }
      chain = crypto::Sha256Hex(row);
    }
    if (rc != SQLITE_DONE) {
      return DbError(db, "reading table " + table);
    }
  }
  return chain;
}

// Snapshot reads what the manifest records about the store in `db`.
Result<BackupManifest> Snapshot(sqlite3* db, const BackupManifest& base) {
  BackupManifest m = base;
  m.format = kBackupFormat;
  ANCHOR_ASSIGN_OR_RETURN(m.schema_version, QueryInt(db, "PRAGMA user_version"));
  ANCHOR_ASSIGN_OR_RETURN(m.certificate_count, QueryInt(db, "SELECT COUNT(*) FROM certificates"));
  ANCHOR_ASSIGN_OR_RETURN(m.audit_entries, QueryInt(db, "SELECT COUNT(*) FROM audit_log"));
  ANCHOR_ASSIGN_OR_RETURN(m.audit_head,
                          QueryText(db, "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
  ANCHOR_ASSIGN_OR_RETURN(m.content_digest, ContentDigest(db));
  return m;
}

Status WriteManifest(sqlite3* db, const BackupManifest& m) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"format", std::to_string(m.format)},
      {"created_at", std::to_string(m.created_at)},
      {"schema_version", std::to_string(m.schema_version)},
      {"certificate_count", std::to_string(m.certificate_count)},
      {"audit_entries", std::to_string(m.audit_entries)},
      {"audit_head", m.audit_head},
      {"content_digest", m.content_digest},
      {"with_keys", m.with_keys ? "1" : "0"},
      {"keys_left_out", Join(m.keys_left_out, ",")},
  };
  ANCHOR_ASSIGN_OR_RETURN(
      Stmt s, Prepare(db, std::string("INSERT INTO ") + kManifestTable + " VALUES (?, ?)"));
  for (const auto& [key, value] : rows) {
    ::sqlite3_reset(s.get());
    ::sqlite3_bind_text(s.get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    ::sqlite3_bind_text(s.get(), 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    if (::sqlite3_step(s.get()) != SQLITE_DONE) {
      return DbError(db, "writing the backup manifest");
    }
  }
  return OkStatus();
}

Status WriteFiles(sqlite3* db, const std::vector<ArchivedFile>& files) {
  ANCHOR_ASSIGN_OR_RETURN(Stmt s, Prepare(db, std::string("INSERT INTO ") + kFilesTable +
                                                  " VALUES (?, ?, ?, ?, ?, ?)"));
  for (const ArchivedFile& f : files) {
    const std::string sha = crypto::Sha256Hex(f.content);
    ::sqlite3_reset(s.get());
    ::sqlite3_bind_text(s.get(), 1, f.path.data(), static_cast<int>(f.path.size()),
                        SQLITE_TRANSIENT);
    ::sqlite3_bind_int64(s.get(), 2, f.mode);
    ::sqlite3_bind_text(s.get(), 3, f.is_key ? "key" : "file", -1, SQLITE_STATIC);
    ::sqlite3_bind_int(s.get(), 4, f.encrypted_at_rest ? 1 : 0);
    ::sqlite3_bind_text(s.get(), 5, sha.data(), static_cast<int>(sha.size()), SQLITE_TRANSIENT);
    ::sqlite3_bind_blob(s.get(), 6, f.content.data(), static_cast<int>(f.content.size()),
                        SQLITE_TRANSIENT);
    if (::sqlite3_step(s.get()) != SQLITE_DONE) {
      return DbError(db, "writing " + f.path + " into the backup");
    }
  }
  return OkStatus();
}

// SyncAndRename fsyncs `tmp`, renames it to `path` without replacing an existing file (link,
// then unlink), and fsyncs the directory.
Status SyncAndRename(const std::string& tmp, const std::string& path) {
  ANCHOR_TRY(Fsync(tmp));
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    return Error(err == EEXIST ? Code::kAlreadyExists : Code::kUnavailable,
                 "cannot create " + path + ": " + std::strerror(err));
  }
  ::unlink(tmp.c_str());
  // The backup is in place; a directory that cannot be synced does not undo that.
  (void)Fsync(std::filesystem::path(path).parent_path().string());
  return OkStatus();
}

Result<BackupManifest> WriteTemp(const std::string& db_path, const std::string& tmp,
                                 const std::vector<ArchivedFile>& files,
                                 const BackupManifest& base) {
  ANCHOR_ASSIGN_OR_RETURN(Db source, OpenDb(db_path, SQLITE_OPEN_READONLY));
  ANCHOR_ASSIGN_OR_RETURN(Db out, OpenDb(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  ANCHOR_TRY(Copy(source.get(), out.get()));
  source.reset();
  // One self-contained file: no -wal beside it.
  ANCHOR_TRY(Exec(out.get(), "PRAGMA journal_mode=DELETE", "writing the backup"));
  ANCHOR_ASSIGN_OR_RETURN(BackupManifest manifest, Snapshot(out.get(), base));
  ANCHOR_TRY(Exec(out.get(), "BEGIN", "writing the backup"));
  ANCHOR_TRY(Exec(out.get(), kCreateTables, "writing the backup"));
  ANCHOR_TRY(WriteManifest(out.get(), manifest));
  ANCHOR_TRY(WriteFiles(out.get(), files));
  ANCHOR_TRY(Exec(out.get(), "COMMIT", "writing the backup"));
  return manifest;
}

Error NotABackup(const std::string& path, const std::string& why) {
  return Error(Code::kInvalidArgument, path + " is not a usable anchor backup: " + why);
}

// ExpectedSchema is the schema of a backup file holding a store of schema `version`: what this
// anchor's migrations 1..version create, and the backup's two tables, built in memory.
Result<std::vector<SchemaEntry>> ExpectedSchema(int64_t version) {
  ANCHOR_ASSIGN_OR_RETURN(Db db, OpenDb(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  const auto steps = sqlite::Migrations();
  for (int64_t v = 0; v < version; ++v) {
    ANCHOR_TRY(Exec(db.get(), std::string(steps[static_cast<size_t>(v)]), "the store's schema"));
  }
  ANCHOR_TRY(Exec(db.get(), kCreateTables, "the backup's schema"));
  return ReadSchema(db.get(), /*store_only=*/false);
}

// CheckSchema refuses a backup whose schema is not exactly what this anchor makes for its
// schema version: an added trigger or view, a renamed column, a dropped index would change
// what the restored CA does (a trigger could undo every revocation), and the rows' digest
// cannot see it. The first difference is named.
Status CheckSchema(sqlite3* db, const BackupManifest& m, const std::string& path) {
  const auto known = static_cast<int64_t>(sqlite::Migrations().size());
  if (m.schema_version > known) {
    return Error(Code::kFailedPrecondition,
                 path + " holds a store of schema version " + std::to_string(m.schema_version) +
                     ", newer than this anchor's (" + std::to_string(known) + "); upgrade anchor");
  }
  ANCHOR_ASSIGN_OR_RETURN(int64_t version, QueryInt(db, "PRAGMA user_version"));
  if (m.schema_version < 1 || version != m.schema_version) {
    return NotABackup(path, "its store has schema version " + std::to_string(version) +
                                ", its manifest says " + std::to_string(m.schema_version));
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<SchemaEntry> want, ExpectedSchema(version));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<SchemaEntry> have, ReadSchema(db, /*store_only=*/false));
  const std::string v = " (schema v" + std::to_string(version) + ")";
  for (const SchemaEntry& e : have) {
    auto same_name = std::find_if(want.begin(), want.end(), [&](const SchemaEntry& w) {
      return w.type == e.type && w.name == e.name;
    });
    if (same_name == want.end()) {
      return NotABackup(path, "its schema has " + e.Text() + ", which anchor does not make" + v);
    }
    if (!(*same_name == e)) {
      return NotABackup(path, "its schema's " + e.Text() + " differs from anchor's" + v);
    }
  }
  for (const SchemaEntry& w : want) {
    if (std::find(have.begin(), have.end(), w) == have.end()) {
      return NotABackup(path, "its schema lacks " + w.Text() + v);
    }
  }
  return OkStatus();
}

// FileUri is `path` as an SQLite URI ("file:///abs%3Fpath"), every byte outside the unreserved
// set percent-encoded: '%', '?' and '#' in a file name are then part of the name, not an escape,
// a query or a fragment (https://www.sqlite.org/uri.html).
std::string FileUri(const std::string& path) {
  const std::string abs = std::filesystem::absolute(path).string();
  std::string out = "file://";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const unsigned char c : abs) {
    if (std::isalnum(c) != 0 || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// OpenBackupReadOnly opens a backup file read-only and immutable: nothing, not even a journal,
// is written beside it.
Result<Db> OpenBackupReadOnly(const std::string& path) {
  return OpenDb(FileUri(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

// CheckBackupFile names what is wrong with `path` before SQLite tries it: missing, not a
// regular file, unreadable, empty.
Status CheckBackupFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Error(Code::kNotFound, path + ": no such backup file");
    }
    return Error(err == EACCES ? Code::kFailedPrecondition : Code::kUnavailable,
                 "cannot read " + path + ": " +
                     (err == EACCES ? "permission denied for user " + EffectiveUser()
                                    : std::string(std::strerror(err))));
  }
  if (S_ISDIR(st.st_mode)) {
    return Error(Code::kInvalidArgument, path + " is a directory, not a backup file");
  }
  if (!S_ISREG(st.st_mode)) {
    return Error(Code::kInvalidArgument,
                 path +
                     " is not a regular file (a FIFO or device); give the file `anchor backup` "
                     "wrote");
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return Error(Code::kFailedPrecondition,
                 "cannot read " + path + ": permission denied for user " + EffectiveUser());
  }
  if (st.st_size == 0) {
    return NotABackup(path, "it is empty");
  }
  return OkStatus();
}

Result<BackupManifest> ReadManifest(sqlite3* db, const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(Stmt s,
                          Prepare(db, std::string("SELECT key, value FROM ") + kManifestTable));
  std::map<std::string, std::string> kv;
  while (::sqlite3_step(s.get()) == SQLITE_ROW) {
    kv[sqlite::ColumnText(s.get(), 0)] = sqlite::ColumnText(s.get(), 1);
  }
  BackupManifest m;
  try {
    m.format = std::stoi(kv.at("format"));
    m.created_at = std::stoll(kv.at("created_at"));
    m.schema_version = std::stoll(kv.at("schema_version"));
    m.certificate_count = std::stoll(kv.at("certificate_count"));
    m.audit_entries = std::stoll(kv.at("audit_entries"));
    m.audit_head = kv.at("audit_head");
    m.content_digest = kv.at("content_digest");
    m.with_keys = kv.at("with_keys") == "1";
    if (const std::string& left = kv["keys_left_out"]; !left.empty()) {
      for (size_t at = 0; at <= left.size();) {
        const size_t comma = std::min(left.find(',', at), left.size());
        m.keys_left_out.push_back(left.substr(at, comma - at));
        at = comma + 1;
      }
    }
  } catch (const std::exception&) {
    return NotABackup(path, "its manifest is incomplete");
  }
  if (m.format != kBackupFormat) {
    return NotABackup(path, "backup format " + std::to_string(m.format) +
                                " (this anchor reads format " + std::to_string(kBackupFormat) +
                                ")");
  }
  return m;
}

Result<std::vector<ArchivedFile>> ReadFiles(sqlite3* db, const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(
      Stmt s, Prepare(db, std::string("SELECT path, mode, kind, encrypted_at_rest, sha256, "
                                      "content FROM ") +
                              kFilesTable + " ORDER BY path"));
  std::vector<ArchivedFile> out;
  int rc = SQLITE_ROW;
  while ((rc = ::sqlite3_step(s.get())) == SQLITE_ROW) {
    ArchivedFile f;
    f.path = sqlite::ColumnText(s.get(), 0);
    f.mode = static_cast<uint32_t>(::sqlite3_column_int64(s.get(), 1)) & 07777;
    f.is_key = sqlite::ColumnText(s.get(), 2) == "key";
    f.encrypted_at_rest = ::sqlite3_column_int(s.get(), 3) != 0;
    const std::string sha = sqlite::ColumnText(s.get(), 4);
    const void* blob = ::sqlite3_column_blob(s.get(), 5);
    f.content.assign(static_cast<const char*>(blob),
                     static_cast<size_t>(::sqlite3_column_bytes(s.get(), 5)));
    if (crypto::Sha256Hex(f.content) != sha) {
      return NotABackup(path, f.path + " in it is corrupted (SHA-256 mismatch)");
    }
    // Paths come from the file: nothing may land outside the target directory.
    const std::filesystem::path p(f.path);
    if (f.path.empty() || p.is_absolute() || f.path.find("..") != std::string::npos) {
      return NotABackup(path, "it names a file outside the CA home: " + f.path);
    }
    out.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) {
    return NotABackup(path, ::sqlite3_errmsg(db));
  }
  return out;
}

}  // namespace

Result<BackupManifest> WriteBackupArchive(const std::string& db_path, const std::string& out_path,
                                          const std::vector<ArchivedFile>& files,
                                          const BackupManifest& base) {
  if (std::filesystem::exists(out_path)) {
    return Error(Code::kAlreadyExists, out_path + " already exists; choose a new file");
  }
  std::string tmp = out_path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return Error(Code::kUnavailable,
                 "cannot create a file beside " + out_path + ": " + std::strerror(errno));
  }
  // 0600 before a byte is written: the backup holds token hashes, and keys with --with-keys.
  (void)::fchmod(fd, 0600);
  ::close(fd);
  Result<BackupManifest> manifest = WriteTemp(db_path, tmp, files, base);
  Status st = manifest ? SyncAndRename(tmp, out_path) : Status(manifest.error());
  if (!st) {
    ::unlink(tmp.c_str());
    ::unlink((tmp + "-journal").c_str());
    return st.error();
  }
  return manifest;
}

Result<BackupContents> ReadBackupArchive(const std::string& path) {
  ANCHOR_TRY(CheckBackupFile(path));
  auto opened = OpenBackupReadOnly(path);
  if (!opened) {
    return NotABackup(path, opened.error().message());
  }
  Db db = std::move(opened).value();
  // A truncated or overwritten file fails here: SQLite checks every page it can reach.
  auto check = QueryText(db.get(), "PRAGMA integrity_check");
  if (!check) {
    return NotABackup(path, check.error().message());
  }
  if (*check != "ok") {
    return NotABackup(path, "SQLite integrity check: " + check->substr(0, check->find('\n')));
  }
  auto has = QueryInt(db.get(), std::string("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('") +
                                    kManifestTable + "', '" + kFilesTable + "', 'certificates')");
  if (!has || *has != 3) {
    return NotABackup(path, "it is a SQLite database but not one written by `anchor backup`");
  }
  BackupContents out;
  ANCHOR_ASSIGN_OR_RETURN(out.manifest, ReadManifest(db.get(), path));
  ANCHOR_TRY(CheckSchema(db.get(), out.manifest, path));
  ANCHOR_ASSIGN_OR_RETURN(out.files, ReadFiles(db.get(), path));
  auto digest = ContentDigest(db.get());
  if (!digest) {
    return NotABackup(path, digest.error().message());
  }
  if (*digest != out.manifest.content_digest) {
    return NotABackup(path, "the store's rows do not match the digest recorded at backup time");
  }
  return out;
}

Status ExtractStore(const std::string& archive_path, const std::string& db_path) {
  ANCHOR_ASSIGN_OR_RETURN(Db source, OpenBackupReadOnly(archive_path));
  ANCHOR_ASSIGN_OR_RETURN(Db out, OpenDb(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  ANCHOR_TRY(Copy(source.get(), out.get()));
  source.reset();
  ANCHOR_TRY(Exec(out.get(),
                  std::string("DROP TABLE ") + kManifestTable + "; DROP TABLE " + kFilesTable +
                      "; PRAGMA journal_mode=WAL",
                  "writing " + db_path));
  return OkStatus();
}

}  // namespace anchor::store
