// SPDX-License-Identifier: Apache-2.0
// File: backup.cc: `anchor backup`: the store's online snapshot and the home's files, one file.
#include "home/backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "core/file_io.h"
#include "crypto/key.h"
#include "home/ca_home.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

// IsPrivateKeyPem is true for a PEM private key of any kind (PKCS#8, encrypted or not, or the
// traditional RSA/EC forms): what never leaves the home without --with-keys.
bool IsPrivateKeyPem(std::string_view content) {
  return content.find("-----BEGIN") != std::string_view::npos &&
         content.find("PRIVATE KEY-----") != std::string_view::npos;
}

// IsStoreOrScratch is true for the store's own files (copied by the online backup, never read
// as files: a plain copy misses what is still in the WAL) and for the temporary files of writes
// under way.
bool IsStoreOrScratch(const std::string& name) {
  return name.rfind("anchor.db", 0) == 0 || name.find(".tmp-") != std::string::npos ||
         (name.size() > 4 && name.ends_with(kStagedSuffix));
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

}  // namespace

Result<BackupReport> BackupCaHome(const std::string& home, const std::string& out,
                                  const BackupOptions& options, const Clock& clock) {
  const CaPaths paths = CaPaths::In(home);
  if (!FileExists(paths.config) || !FileExists(paths.db)) {
    return Error(Code::kFailedPrecondition,
                 home + " is not a CA home (no anchor.toml or anchor.db); give --home");
  }
  if (options.with_keys && options.passphrase == nullptr) {
    return Error(Code::kFailedPrecondition,
                 "--with-keys needs a passphrase to encrypt the keys with (--passphrase-file or "
                 "ANCHOR_PASSPHRASE); keys never go into a backup unencrypted");
  }
  std::error_code ec;
  const fs::path out_abs = fs::weakly_canonical(out, ec);
  BackupReport report;
  std::vector<store::ArchivedFile> files;
  for (auto it = fs::recursive_directory_iterator(home, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->is_symlink()) {
      continue;
    }
    const std::string rel = fs::relative(it->path(), home).string();
    if (IsStoreOrScratch(it->path().filename().string()) ||
        fs::weakly_canonical(it->path()) == out_abs) {
      continue;
    }
    ANCHOR_ASSIGN_OR_RETURN(std::string content, ReadFile(it->path().string()));
    const auto mode = static_cast<uint32_t>(it->status().permissions()) & 07777;
    if (!IsPrivateKeyPem(content)) {
      files.push_back({rel, mode, std::move(content)});
    } else if (!options.with_keys) {
      report.keys_left_out.push_back(rel);
    } else {
      ANCHOR_ASSIGN_OR_RETURN(store::ArchivedFile key,
                              ArchiveKey(rel, content, mode, *options.passphrase));
      files.push_back(std::move(key));
    }
    report.files.push_back(rel);
  }
  if (ec) {
    return Error(Code::kUnavailable, "cannot read " + home + ": " + ec.message());
  }
  std::erase_if(report.files, [&](const std::string& f) {
    return std::find(report.keys_left_out.begin(), report.keys_left_out.end(), f) !=
           report.keys_left_out.end();
  });
  store::BackupManifest base;
  base.created_at = UnixSeconds(clock.Now());
  base.with_keys = options.with_keys;
  ANCHOR_ASSIGN_OR_RETURN(report.manifest, store::WriteBackupArchive(paths.db, out, files, base));
  report.bytes = fs::file_size(out, ec);
  return report;
}

}  // namespace anchor::home
