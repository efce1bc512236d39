// SPDX-License-Identifier: Apache-2.0
// File: restore.cc: `anchor restore`: a backup checked, then put in place in one rename.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "core/file_io.h"
#include "crypto/key.h"
#include "home/backup.h"
#include "store/audit_chain.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

// Staging is a temporary sibling directory of the target, removed unless it was renamed into
// place: a failed restore leaves nothing behind.
class Staging {
 public:
  static Result<Staging> Beside(const fs::path& target) {
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::string templ = (parent / ("." + target.filename().string() + ".restore-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) {
      return Error(Code::kUnavailable, "cannot create a directory beside " + target.string() +
                                           ": " + std::strerror(errno));
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

void FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

Status CheckTarget(const fs::path& target) {
  std::error_code ec;
  if (!fs::exists(target, ec)) {
    return OkStatus();
  }
  if (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)) {
    return Error(Code::kAlreadyExists, target.string() +
                                           " exists and is not an empty directory; restore into "
                                           "a new or empty directory");
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

}  // namespace

Result<RestoreReport> RestoreCaHome(const std::string& backup, const std::string& target_dir,
                                    const SecretBytes* passphrase) {
  const fs::path target = fs::absolute(target_dir).lexically_normal();
  ANCHOR_TRY(CheckTarget(target));
  ANCHOR_ASSIGN_OR_RETURN(store::BackupContents contents, store::ReadBackupArchive(backup));
  const store::BackupManifest& m = contents.manifest;
  const auto known = static_cast<int64_t>(store::sqlite::Migrations().size());
  if (m.schema_version > known) {
    return Error(Code::kFailedPrecondition,
                 backup + " holds a store of schema version " + std::to_string(m.schema_version) +
                     ", newer than this anchor's (" + std::to_string(known) + "); upgrade anchor");
  }
  // Every key opens before anything is written.
  RestoreReport report{m, 0, 0};
  std::vector<PendingFile> files;
  for (const store::ArchivedFile& f : contents.files) {
    if (f.is_key) {
      ANCHOR_ASSIGN_OR_RETURN(std::string pem, KeyFileContent(f, backup, passphrase));
      files.push_back({f.path, std::move(pem), kPrivateKeyMode});
      ++report.keys;
    } else {
      files.push_back({f.path, f.content, static_cast<mode_t>(f.mode)});
    }
  }
  ANCHOR_ASSIGN_OR_RETURN(Staging staging, Staging::Beside(target));
  const std::string db = (fs::path(staging.path()) / "anchor.db").string();
  ANCHOR_TRY(store::ExtractStore(backup, db));
  ANCHOR_TRY(CheckStore(db, m, backup));
  for (const PendingFile& f : files) {
    const fs::path path = fs::path(staging.path()) / f.path;
    ANCHOR_TRY(MakeDirectories(path.parent_path().string(), 0700));
    ANCHOR_TRY(WriteFileAtomic(path.string(), f.content, f.mode));
    ++report.files;
  }
  FsyncDir(staging.path());
  // rename(2) replaces an empty directory, or creates the target: one step either way.
  if (::rename(staging.path().c_str(), target.c_str()) != 0) {
    return Error(Code::kUnavailable, "cannot rename the restored home into " + target.string() +
                                         ": " + std::strerror(errno));
  }
  staging.Release();
  FsyncDir(target.parent_path().string());
  return report;
}

}  // namespace anchor::home
