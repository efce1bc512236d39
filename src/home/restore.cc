// SPDX-License-Identifier: Apache-2.0
// File: restore.cc: `anchor restore`: a backup checked, then put in place.
//
// Where it goes. A target that does not exist is built as a hidden sibling directory
// (".NAME.restore-PID-XXXXXX") and renamed into place in one step: a crash leaves either no
// target or the whole home. An existing empty directory (also a mount point, or a symbolic
// link to an empty directory, which rename(2) cannot replace) is filled instead: the home is
// built in a hidden directory inside it (".anchor-restore-PID-XXXXXX", same file system), each
// file written atomically and fsynced, and only after every check the entries are renamed out
// of it one by one, anchor.toml last, and the directory fsynced. What atomicity remains there:
// each file is whole, but a crash during those renames (no I/O but the directory's) can leave
// some of the home's files without anchor.toml; anchor does not take such a directory for a CA
// home, and it must be emptied before restoring again.
//
// Interruptions. SIGINT, SIGTERM, SIGHUP and SIGQUIT are held back (core/deferred_signals.h)
// from the moment the staging directory exists until it is removed or in place: a pending one
// stops the work at the next step, the staging directory (the store, plaintext keys) is
// removed, and then the signal ends the process. A run killed outright (SIGKILL, power) leaves
// its staging directory: the next restore beside or into the same target removes the staging
// directories whose process is gone.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/deferred_signals.h"
#include "core/file_io.h"
#include "crypto/key.h"
#include "crypto/pkcs11_key.h"
#include "home/backup.h"
#include "home/home_files.h"
#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

// Target is where the restored home goes: created by one rename, or filled in (see above).
struct Target {
  fs::path path;      // absolute, normalised, no trailing slash; a link is resolved
  bool fill = false;  // an existing empty directory
};

// StagingPrefix is the start of a staging directory's name for `target`.
std::string StagingPrefix(const Target& t) {
  return t.fill ? ".anchor-restore-" : "." + t.path.filename().string() + ".restore-";
}

// RemoveStaleStaging removes, from `dir`, the staging directories named `prefix`PID-... whose
// process no longer runs: what a restore killed outright left (with plaintext keys in it).
void RemoveStaleStaging(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix) || !it->is_directory() || it->is_symlink()) {
      continue;
    }
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
}

// Staging is the directory the home is built in, removed unless it was put in place: a failed
// or interrupted restore leaves nothing behind.
class Staging {
 public:
  static Result<Staging> For(const Target& t) {
    const fs::path dir = t.fill ? t.path : t.path.parent_path();
    std::string templ =
        (dir / (StagingPrefix(t) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) {
      return Error(errno == EACCES ? Code::kFailedPrecondition : Code::kUnavailable,
                   "cannot create the restored home in " + dir.string() + ": " +
                       (errno == EACCES ? "permission denied for user " + EffectiveUser()
                                        : std::string(std::strerror(errno))));
    }
    return Staging(templ);
  }
  Staging(Staging&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  Staging(const Staging&) = delete;
  ~Staging() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  explicit Staging(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// NormalTarget is `dir` made absolute, with "." and ".." and a trailing slash taken away.
fs::path NormalTarget(const std::string& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  while (!p.has_filename() && p.has_relative_path()) {
    p = p.parent_path();
  }
  return p;
}

// CheckTarget finds out, before any slow check, where the home can go: a new directory (its
// parent must be a directory) or an existing empty one (a link to one is followed). Anything
// else is kAlreadyExists.
Result<Target> CheckTarget(const std::string& dir) {
  Target t{NormalTarget(dir)};
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(t.path, ec);
  if (!fs::exists(st)) {
    if (!fs::is_symlink(st) && fs::is_directory(t.path.parent_path(), ec)) {
      return t;
    }
    return Error(Code::kFailedPrecondition,
                 fs::is_symlink(st)
                     ? t.path.string() + " is a symbolic link that leads nowhere"
                     : t.path.parent_path().string() + " is not a directory; create it first");
  }
  if (fs::is_symlink(st)) {
    t.path = fs::canonical(t.path, ec);
  }
  if (!fs::is_directory(t.path, ec)) {
    return Error(Code::kAlreadyExists,
                 t.path.string() +
                     " exists and is not a directory; restore into a new or empty "
                     "directory");
  }
  t.fill = true;
  RemoveStaleStaging(t.path, StagingPrefix(t));
  if (!fs::is_empty(t.path, ec) || ec) {
    return Error(
        ec == std::errc::permission_denied ? Code::kFailedPrecondition : Code::kAlreadyExists,
        ec ? "cannot read " + t.path.string() + ": " + ec.message()
           : t.path.string() + " is not empty; restore into a new or empty directory");
  }
  return t;
}

// CheckFiles holds the backup's files to what a CA home is (home_files.h): no name that is not
// a CA home's file, never the store's own (the store comes from the checked snapshot only),
// keys stored as keys, and everything a CA home needs.
Status CheckFiles(const store::BackupContents& contents, const std::string& backup) {
  const auto bad = [&](const std::string& why) {
    return Error(Code::kInvalidArgument, backup + " is not a usable anchor backup: " + why);
  };
  const auto has = [&](std::string_view rel) {
    return std::any_of(contents.files.begin(), contents.files.end(),
                       [&](const store::ArchivedFile& f) { return f.path == rel; });
  };
  for (const store::ArchivedFile& f : contents.files) {
    switch (ClassifyHomeFile(f.path)) {
      case HomeFileKind::kStore:
        return bad("it holds a file named " + f.path +
                   ", the store's own name (the store is restored from its snapshot only)");
      case HomeFileKind::kLock:
        return bad("it holds " + f.path + ", a lock file, which no backup carries");
      case HomeFileKind::kUnknown:
        return bad("it holds " + f.path + ", which is not a file of a CA home");
      case HomeFileKind::kKey:
        // A key file naming a key in a PKCS#11 token holds no secret and is kept as it is.
        if (!f.is_key && !crypto::IsPkcs11Uri(f.content)) {
          return bad(f.path + " in it is not stored as an encrypted key");
        }
        break;
      case HomeFileKind::kPublic:
        if (f.is_key || (f.content.find("-----BEGIN") != std::string::npos &&
                         f.content.find("PRIVATE KEY-----") != std::string::npos)) {
          return bad(f.path + " in it holds a private key; a CA home keeps keys in .key files");
        }
        break;
    }
  }
  for (const char* rel : kRequiredHomeFiles) {
    if (!has(rel)) {
      return bad(std::string("it has no ") + rel + ", which every CA home holds");
    }
  }
  const auto key_count = std::count_if(contents.files.begin(), contents.files.end(),
                                       [](const store::ArchivedFile& f) { return f.is_key; });
  if (!contents.manifest.with_keys && key_count > 0) {
    return bad("it holds keys, but its manifest says it was made without --with-keys");
  }
  for (const char* rel : kRequiredHomeKeys) {
    if (contents.manifest.with_keys && !has(rel)) {
      return bad(std::string("it was made --with-keys but has no ") + rel);
    }
  }
  return OkStatus();
}

// KeyFileContent opens an archived key with `passphrase` and returns what the home keeps: the
// encrypted PEM as archived when the home kept it encrypted, else plain PKCS#8.
Result<std::string> KeyFileContent(const store::ArchivedFile& f, const std::string& backup,
                                   const SecretBytes* passphrase) {
  if (passphrase == nullptr) {
    return Error(Code::kFailedPrecondition,
                 backup +
                     " holds keys encrypted with a passphrase; give it (--passphrase-file or "
                     "ANCHOR_PASSPHRASE)");
  }
  auto key = crypto::PrivateKey::FromPem(f.content, passphrase);
  if (!key) {
    return Error(key.error().code() == Code::kUnauthenticated ? Code::kUnauthenticated
                                                              : Code::kInvalidArgument,
                 "the passphrase does not open " + f.path + " in " + backup +
                     " (wrong passphrase, or the backup is corrupted)");
  }
  if (f.encrypted_at_rest) {
    return f.content;
  }
  return key->ToPkcs8Pem(nullptr);
}

// CheckStore opens the restored store (migrating an older schema) and checks it against the
// manifest: the audit chain as `anchor audit verify` checks it, the certificate count and the
// audit head recorded at backup time.
Status CheckStore(const std::string& db, const store::BackupManifest& m,
                  const std::string& backup) {
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> st, store::OpenSqliteStore(db));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<store::AuditEntry> log, st->AuditLog());
  const auto findings = store::VerifyAuditChain(log);
  if (!findings.empty()) {
    return Error(Code::kInvalidArgument, backup + ": its audit log fails verification (entry " +
                                             std::to_string(findings.front().seq) + ": " +
                                             findings.front().problem + ")");
  }
  const std::string head = log.empty() ? "" : log.back().hash;
  if (static_cast<int64_t>(log.size()) != m.audit_entries || head != m.audit_head) {
    return Error(Code::kInvalidArgument,
                 backup + ": its audit log is not the one recorded at backup time");
  }
  ANCHOR_ASSIGN_OR_RETURN(int64_t count, st->CountCertificates());
  if (count != m.certificate_count) {
    return Error(Code::kInvalidArgument,
                 backup + ": " + std::to_string(count) + " certificates, but " +
                     std::to_string(m.certificate_count) + " were recorded at backup time");
  }
  return OkStatus();
}

// InTarget rewrites an error to name the target instead of the hidden staging directory, on
// one line.
Status InTarget(Status st, const std::string& staging, const fs::path& target) {
  if (st) {
    return st;
  }
  std::string message = st.error().message();
  for (size_t at = 0; (at = message.find(staging, at)) != std::string::npos;) {
    message.replace(at, staging.size(), target.string());
  }
  std::replace(message.begin(), message.end(), '\n', ' ');
  return Error(st.error().code(), message);
}

Error Interrupted() { return Error(Code::kUnavailable, "restore interrupted"); }

// Build writes the home into `staging`: the store extracted and checked, then every file.
Status Build(const std::string& staging, const std::string& backup, const store::BackupManifest& m,
             const std::vector<PendingFile>& files, const DeferSignals& signals) {
  const std::string db = (fs::path(staging) / "anchor.db").string();
  ANCHOR_TRY(store::ExtractStore(backup, db));
  if (signals.Pending()) {
    return Interrupted();
  }
  ANCHOR_TRY(CheckStore(db, m, backup));
  ANCHOR_TRY(Fsync(db));
  for (const PendingFile& f : files) {
    if (signals.Pending()) {
      return Interrupted();
    }
    const fs::path path = fs::path(staging) / f.path;
    ANCHOR_TRY(MakeDirectories(path.parent_path().string(), 0700));
    ANCHOR_TRY(WriteFileAtomic(path.string(), f.content, f.mode));
  }
  return Fsync(staging);
}

// MoveInto renames each entry of `staging` into the empty directory `target`, anchor.toml
// last (a directory without it is not taken for a CA home), then fsyncs `target`.
Status MoveInto(const std::string& staging, const fs::path& target) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(staging, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::stable_partition(names.begin(), names.end(),
                        [](const std::string& n) { return n != "anchor.toml"; });
  // A CA home is 0700, as `anchor init` makes it; a mount point we may not change keeps its
  // mode (the keys in it are 0600 either way).
  (void)::chmod(target.c_str(), 0700);
  for (const std::string& name : names) {
    const fs::path to = target / name;
    if (::rename((fs::path(staging) / name).c_str(), to.c_str()) != 0) {
      return Error(Code::kUnavailable, "cannot move " + name + " into " + target.string() + ": " +
                                           std::strerror(errno));
    }
  }
  return Fsync(target.string());
}

}  // namespace

Result<RestoreReport> RestoreCaHome(const std::string& backup, const std::string& target_dir,
                                    const SecretBytes* passphrase) {
  ANCHOR_ASSIGN_OR_RETURN(const Target target, CheckTarget(target_dir));
  ANCHOR_ASSIGN_OR_RETURN(store::BackupContents contents, store::ReadBackupArchive(backup));
  ANCHOR_TRY(CheckFiles(contents, backup));
  const store::BackupManifest& m = contents.manifest;
  // Every key opens before anything is written.
  RestoreReport report{m, 0, 0, {}};
  std::vector<PendingFile> files;
  for (const store::ArchivedFile& f : contents.files) {
    if (f.is_key) {
      ANCHOR_ASSIGN_OR_RETURN(std::string pem, KeyFileContent(f, backup, passphrase));
      files.push_back({f.path, std::move(pem), kPrivateKeyMode});
      ++report.keys;
    } else {
      // Permission bits only: never setuid, setgid or sticky, whatever the file says.
      files.push_back({f.path, f.content, static_cast<mode_t>(f.mode & 0777)});
    }
  }
  report.keys_left_out = m.keys_left_out;
  report.files = files.size();
  if (!target.fill) {
    RemoveStaleStaging(target.path.parent_path(), StagingPrefix(target));
  }
  // From here until the staging directory is gone or in place, a signal waits (see the top).
  DeferSignals signals;
  ANCHOR_ASSIGN_OR_RETURN(Staging staging, Staging::For(target));
  ANCHOR_TRY(
      InTarget(Build(staging.path(), backup, m, files, signals), staging.path(), target.path));
  if (signals.Pending()) {
    return Interrupted();
  }
  // The point of no return: a signal that arrives from here on finds the home (being) put in
  // place; it is taken back once that is done, so the restore ends as what it is, complete.
  if (target.fill) {
    ANCHOR_TRY(MoveInto(staging.path(), target.path));
    signals.Discard();
    return report;  // ~Staging removes the emptied staging directory
  }
  // rename(2) creates the target: one step.
  if (::rename(staging.path().c_str(), target.path.c_str()) != 0) {
    return Error(Code::kUnavailable, "cannot rename the restored home into " +
                                         target.path.string() + ": " + std::strerror(errno));
  }
  staging.Release();
  signals.Discard();
  ANCHOR_TRY(Fsync(target.path.parent_path().string()));
  return report;
}

}  // namespace anchor::home
