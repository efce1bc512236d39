// SPDX-License-Identifier: Apache-2.0
// File: offline_root.cc: the root key's directory and the root's CRL.
#include "home/offline_root.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "core/file_io.h"
#include "core/text.h"
#include "crypto/key_file.h"
#include "crypto/pkcs11_key.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

// NewOrEmptyDirectory makes `dir` (0700) unless it is an empty directory already; `created`
// tells whether it was made here, so that a failure can take it away again.
Status NewOrEmptyDirectory(const std::string& dir, bool& created) {
  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  if (exists && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec))) {
    return Error(Code::kAlreadyExists,
                 dir + " exists and is not an empty directory; name a new directory for the root");
  }
  created = !exists;
  return MakeDirectories(dir, 0700);
}

// WriteRootDir writes `files` (root.key first) into `dir`, new or empty, together
// (WriteFilesTogether) and checks what was written with `check`. On any failure nothing of
// it is left: `dir` is removed when this call made it, else the files written into it, so
// that the same command can simply be run again.
Status WriteRootDir(const std::string& dir, const std::vector<PendingFile>& files,
                    const std::function<Status()>& check) {
  bool created = false;
  ANCHOR_TRY(NewOrEmptyDirectory(dir, created));
  Status st = WriteFilesTogether(files);
  if (st) {
    st = check();
  }
  if (!st) {
    std::error_code ec;
    if (created) {
      fs::remove_all(dir, ec);
    } else {
      for (const PendingFile& f : files) {
        fs::remove(f.path, ec);
        fs::remove(f.path + kStagedSuffix, ec);
      }
    }
  }
  return st;
}

// CheckRootCopy loads the root directory's copy as anchor will load it: root.crt a certificate,
// and root.key, unless it is encrypted (no passphrase is at hand), the key of that certificate.
// Neither must be other than `key_pem` and `cert_pem`, which were written.
Status CheckRootCopy(const RootDir& out, const std::string& key_pem, const std::string& cert_pem) {
  ANCHOR_ASSIGN_OR_RETURN(std::string key_back, ReadFile(out.key));
  ANCHOR_ASSIGN_OR_RETURN(std::string cert_back, ReadFile(out.cert));
  if (key_back != key_pem || cert_back != cert_pem) {
    return Error(Code::kUnavailable, "the copy in " + out.dir + " does not read back as written");
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(out.cert));
  if (!crypto::IsEncryptedPem(key_back)) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::LoadPrivateKeyFile(out.key, nullptr));
    if (!key.Public().Equals(cert.GetPublicKey())) {
      return Error(Code::kFailedPrecondition, out.key + " is not the key of " + out.cert);
    }
  }
  return OkStatus();
}

}  // namespace

RootDir RootDir::In(const std::string& dir) {
  const auto p = [&](const char* f) { return (fs::path(dir) / f).string(); };
  return RootDir{dir, p("root.key"), p("root.crt"), p("root.crl")};
}

Result<crypto::PrivateKey> LoadRootKey(const RootDir& root_dir, const SecretBytes* passphrase,
                                       const std::string& command) {
  if (!FileExists(root_dir.key)) {
    return Error(
        Code::kFailedPrecondition,
        "`" + command + "` needs the root key, and " + root_dir.key +
            " does not exist (the root is kept offline); run it where the root key is, "
            "with --root-dir DIR (see \"Keeping the root offline\" in docs/OPERATIONS.md)");
  }
  return crypto::LoadPrivateKeyFile(root_dir.key, passphrase);
}

Result<Root> LoadRoot(const RootDir& root_dir, const SecretBytes* passphrase,
                      const std::string& command) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, LoadRootKey(root_dir, passphrase, command));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(root_dir.cert));
  if (!key.Public().Equals(cert.GetPublicKey())) {
    return Error(Code::kInvalidArgument, root_dir.key + " is not the key of " + root_dir.cert);
  }
  return Root{std::move(cert), std::move(key)};
}

Status WriteOfflineRoot(const std::string& dir, const crypto::Certificate& root,
                        const crypto::PrivateKey& key, const SecretBytes* passphrase) {
  const RootDir out = RootDir::In(dir);
  ANCHOR_ASSIGN_OR_RETURN(std::string key_pem, key.ToPkcs8Pem(passphrase));
  const std::string cert_pem = root.ToPem();
  return WriteRootDir(dir,
                      {{out.key, key_pem, kPrivateKeyMode}, {out.cert, cert_pem, kPublicFileMode}},
                      [&] { return CheckRootCopy(out, key_pem, cert_pem); });
}

Status TakeRootOffline(const CaPaths& paths, const std::string& dir) {
  if (!FileExists(paths.root_key)) {
    return Error(Code::kFailedPrecondition,
                 "there is no root key in " + paths.home + " (already offline?); nothing to move");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string key_pem, ReadFile(paths.root_key));
  if (crypto::IsPkcs11Uri(key_pem)) {
    // Moving the URI would leave the key where it is, usable by anyone with the PIN.
    return Error(Code::kFailedPrecondition,
                 "the root key is in a PKCS#11 token (" + paths.root_key +
                     " names it): moving the file takes nothing offline; take the token itself "
                     "offline, or make a CA whose root is a file (anchor init --offline-root)");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(paths.root_crt));
  const RootDir out = RootDir::In(dir);
  std::vector<PendingFile> files = {{out.key, key_pem, kPrivateKeyMode},
                                    {out.cert, cert_pem, kPublicFileMode}};
  // Still the root's CRL state, if the root signed CRLs online: it moves with the key.
  const std::string home_crl = RootDir::In(paths.home).crl;
  if (FileExists(home_crl)) {
    ANCHOR_ASSIGN_OR_RETURN(std::string crl, ReadFile(home_crl));
    files.push_back({out.crl, std::move(crl), kPublicFileMode});
  }
  // Checked before the home's copy goes: the offline copy must be whole. When the home's key
  // cannot be removed, the copy is taken away again: one root key, in one place.
  return WriteRootDir(dir, files, [&]() -> Status {
    if (Status st = CheckRootCopy(out, key_pem, cert_pem); !st) {
      return st.error().Prefixed(paths.root_key + " is left in place");
    }
    if (::unlink(paths.root_key.c_str()) != 0) {
      return Error(Code::kUnavailable,
                   "cannot remove " + paths.root_key + ": " + std::strerror(errno));
    }
    return OkStatus();
  });
}

Result<crypto::Crl> NextRootCrl(const RootDir& root_dir, const Root& root,
                                const std::vector<crypto::Certificate>& revoke, int reason,
                                const Clock& clock, int days) {
  if (days < 1 || days > 3650) {
    return Error(Code::kInvalidArgument, "--days must be between 1 and 3650");
  }
  const Clock::time_point now = clock.Now();
  crypto::CrlTemplate tmpl;
  int64_t last = 0;
  if (FileExists(root_dir.crl)) {
    ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadFile(root_dir.crl));
    auto previous = crypto::Crl::Parse(data);
    if (!previous || !previous->VerifySignedBy(root.cert.GetPublicKey())) {
      return Error(Code::kFailedPrecondition,
                   root_dir.crl + " is not a CRL of this root; move it away to start afresh");
    }
    tmpl.entries = previous->Entries();
    last = previous->Number();
  }
  for (const crypto::Certificate& c : revoke) {
    if (c.IsSelfIssued() || !c.NamesIssuer(root.cert) ||
        !c.VerifySignedBy(root.cert.GetPublicKey())) {
      return Error(Code::kInvalidArgument,
                   "'" + c.Subject() + "' is not an intermediate certified by this root");
    }
    std::vector<uint8_t> serial;
    ANCHOR_CHECK(HexDecode(c.SerialHex(), serial));
    const bool listed =
        std::any_of(tmpl.entries.begin(), tmpl.entries.end(),
                    [&](const crypto::RevokedEntry& e) { return e.serial == serial; });
    if (!listed) {
      tmpl.entries.push_back(crypto::RevokedEntry{std::move(serial), now, reason});
    }
  }
  //= https://www.rfc-editor.org/rfc/rfc5280#section-5.2.3
  //# The CRL number is a non-critical CRL extension that conveys a monotonically increasing
  //# sequence number for a given CRL scope and CRL issuer.
  tmpl.crl_number = std::max(last + 1, UnixSeconds(now));
  tmpl.this_update = now;
  tmpl.next_update = std::min(now + std::chrono::hours(24) * days, root.cert.NotAfter());
  ANCHOR_ASSIGN_OR_RETURN(crypto::Crl crl, crypto::SignCrl(tmpl, root.cert, root.key));
  ANCHOR_TRY(WriteFileAtomic(root_dir.crl, crl.ToPem(), kPublicFileMode));
  return crl;
}

}  // namespace anchor::home
