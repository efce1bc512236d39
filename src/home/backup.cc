// SPDX-License-Identifier: Apache-2.0
// File: backup.cc: `anchor backup`: the store's online snapshot and the home's files, one file.
#include "home/backup.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <optional>

#include "core/deferred_signals.h"
#include "core/file_io.h"
#include "crypto/key.h"
#include "crypto/pkcs11_key.h"
#include "home/ca_home.h"
#include "home/home_files.h"
#include "home/own_certificates.h"

namespace anchor::home {
namespace {

// IsPrivateKeyPem is true for a PEM private key of any kind (PKCS#8, encrypted or not, or the
// traditional RSA/EC forms): what never leaves the home without --with-keys.
bool IsPrivateKeyPem(std::string_view content) {
  return content.find("-----BEGIN") != std::string_view::npos &&
         content.find("PRIVATE KEY-----") != std::string_view::npos;
}

// IsTokenKeyFile tells whether the key file at `path` names a key in a PKCS#11 token.
bool IsTokenKeyFile(const std::string& path) {
  auto content = ReadFile(path, 4096);
  return content && crypto::IsPkcs11Uri(*content);
}

// ArchiveKey re-encrypts a key of the home under `passphrase` (which also opens it when the
// home keeps it encrypted).
Result<store::ArchivedFile> ArchiveKey(const std::string& rel, const std::string& pem,
                                       uint32_t mode, const SecretBytes& passphrase) {
  auto key = crypto::PrivateKey::FromPem(pem, &passphrase);
  if (!key) {
    return key.error().Prefixed(rel);
  }
  store::ArchivedFile f{rel, mode, "", /*is_key=*/true, crypto::IsEncryptedPem(pem)};
  ANCHOR_ASSIGN_OR_RETURN(f.content, key->ToPkcs8Pem(&passphrase));
  return f;
}

// CheckCaHome tells whether `home` holds a CA (anchor.toml and the store), saying "permission
// denied" when it cannot be looked into.
Status CheckCaHome(const std::string& home, const CaPaths& paths) {
  for (const std::string& path : {paths.config, paths.db}) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      continue;
    }
    if (errno == EACCES) {
      return Error(Code::kFailedPrecondition,
                   "cannot read " + home + ": permission denied for user " + EffectiveUser());
    }
    if (::lstat(path.c_str(), &st) == 0) {
      return Error(Code::kFailedPrecondition,
                   path + " is a symbolic link that leads nowhere; put the file itself there");
    }
    return Error(Code::kFailedPrecondition,
                 home + " is not a CA home (no anchor.toml or anchor.db); give --home");
  }
  return OkStatus();
}

// ArchiveFiles reads the home's own files (home_files.h) for the backup: keys only with
// `with_keys` (without it, no key is even opened), each re-encrypted under the passphrase.
Status ArchiveFiles(const HomeListing& listing, const BackupOptions& options,
                    std::vector<store::ArchivedFile>& files, BackupReport& report) {
  for (const HomeFile& f : listing.files) {
    // A key file that names a key in a PKCS#11 token holds where the key is, not the key: it is
    // kept as any file, with or without keys (the key stays in the token, backed up by its own
    // means).
    const bool token_key = f.kind == HomeFileKind::kKey && IsTokenKeyFile(f.path);
    if (f.kind == HomeFileKind::kKey && !options.with_keys && !token_key) {
      report.keys_left_out.push_back(f.rel);
      continue;
    }
    struct stat st {};
    (void)::stat(f.path.c_str(), &st);
    const auto mode = static_cast<uint32_t>(st.st_mode) & 0777;
    ANCHOR_ASSIGN_OR_RETURN(std::string content, ReadFile(f.path));
    if (token_key) {
      files.push_back({f.rel, mode, std::move(content)});
    } else if (f.kind == HomeFileKind::kKey) {
      ANCHOR_ASSIGN_OR_RETURN(store::ArchivedFile key,
                              ArchiveKey(f.rel, content, mode, *options.passphrase));
      files.push_back(std::move(key));
    } else if (IsPrivateKeyPem(content)) {
      // A key where a certificate belongs would leave the home unencrypted: refuse.
      return Error(Code::kFailedPrecondition,
                   f.path +
                       " holds a private key; anchor keeps keys only in .key files: move it "
                       "out of " +
                       f.rel);
    } else {
      files.push_back({f.rel, mode, std::move(content)});
    }
    if (f.symlink) {
      std::error_code ec;
      report.symlinks_followed.push_back(f.rel + " -> " +
                                         std::filesystem::read_symlink(f.path, ec).string());
    }
    report.files.push_back(f.rel);
  }
  return OkStatus();
}

}  // namespace

Result<BackupReport> BackupCaHome(const std::string& home, const std::string& out,
                                  const BackupOptions& options, const Clock& clock) {
  const CaPaths paths = CaPaths::In(home);
  if (FileExists(paths.config)) {
    if (Result<ConfigFile> config = LoadConfigFile(paths.config);
        config && !config->store.url.empty()) {
      return Error(Code::kFailedPrecondition,
                   "this CA keeps its records in PostgreSQL ([store] url in anchor.toml), which "
                   "anchor backup does not copy: back the database up with PostgreSQL's own "
                   "tools (pg_dump, a standby) and the home's files with your file backup");
    }
  }
  ANCHOR_TRY(CheckCaHome(home, paths));
  if (options.with_keys && options.passphrase == nullptr) {
    return Error(Code::kFailedPrecondition,
                 "--with-keys needs a passphrase to encrypt the keys with (--passphrase-file or "
                 "ANCHOR_PASSPHRASE); keys never go into a backup unencrypted");
  }
  ANCHOR_ASSIGN_OR_RETURN(HomeListing listing, ListHomeFiles(home));
  BackupReport report;
  report.not_backed_up = listing.unknown;
  std::vector<store::ArchivedFile> files;
  {
    // `anchor serve` renews server.key/.crt and ocsp.key/.crt under this lock: read without it,
    // a backup with keys could hold the new key with the old certificate. Without keys no key
    // is read, no pair can be mixed, and the lock is not taken (its file is created on first
    // use, which a user who may only read the home could not do).
    std::optional<FileLock> own;
    if (options.with_keys) {
      ANCHOR_ASSIGN_OR_RETURN(own, LockOwnCertificates(paths));
    }
    ANCHOR_TRY(ArchiveFiles(listing, options, files, report));
  }
  store::BackupManifest base;
  base.created_at = UnixSeconds(clock.Now());
  base.with_keys = options.with_keys;
  base.keys_left_out = report.keys_left_out;
  {
    // Ctrl-C or kill while the file is written: its temporary file and journal are removed
    // first (WriteBackupArchive's own cleanup), then the signal ends the process.
    DeferSignals defer;
    ANCHOR_ASSIGN_OR_RETURN(report.manifest, store::WriteBackupArchive(paths.db, out, files, base));
  }
  std::error_code ec;
  report.bytes = std::filesystem::file_size(out, ec);
  return report;
}

}  // namespace anchor::home
