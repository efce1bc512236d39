// SPDX-License-Identifier: Apache-2.0
// File: offline_root.cc: the root key's directory and the root's CRL.
#include "home/offline_root.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/file_io.h"
#include "core/text.h"
#include "crypto/key_file.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

Status NewOrEmptyDirectory(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec))) {
    return Error(Code::kAlreadyExists,
                 dir + " exists and is not an empty directory; name a new directory for the root");
  }
  return MakeDirectories(dir, 0700);
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
  ANCHOR_TRY(NewOrEmptyDirectory(dir));
  const RootDir out = RootDir::In(dir);
  ANCHOR_TRY(crypto::WritePrivateKeyFile(out.key, key, passphrase));
  return WriteFileAtomic(out.cert, root.ToPem(), kPublicFileMode);
}

Status TakeRootOffline(const CaPaths& paths, const std::string& dir) {
  if (!FileExists(paths.root_key)) {
    return Error(Code::kFailedPrecondition,
                 "there is no root key in " + paths.home + " (already offline?); nothing to move");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string key_pem, ReadFile(paths.root_key));
  ANCHOR_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(paths.root_crt));
  ANCHOR_TRY(NewOrEmptyDirectory(dir));
  const RootDir out = RootDir::In(dir);
  ANCHOR_TRY(WriteFileAtomic(out.key, key_pem, kPrivateKeyMode));
  ANCHOR_TRY(WriteFileAtomic(out.cert, cert_pem, kPublicFileMode));
  // Read back before the home's copy goes: the offline copy must be whole.
  ANCHOR_ASSIGN_OR_RETURN(std::string key_back, ReadFile(out.key));
  ANCHOR_ASSIGN_OR_RETURN(std::string cert_back, ReadFile(out.cert));
  if (key_back != key_pem || cert_back != cert_pem) {
    return Error(Code::kUnavailable, "the copy in " + dir + " does not read back as written; " +
                                         paths.root_key + " is left in place");
  }
  // Still the root's CRL state, if the root signed CRLs online: it moves with the key.
  const std::string home_crl = RootDir::In(paths.home).crl;
  if (FileExists(home_crl)) {
    ANCHOR_ASSIGN_OR_RETURN(std::string crl, ReadFile(home_crl));
    ANCHOR_TRY(WriteFileAtomic(out.crl, crl, kPublicFileMode));
  }
  if (::unlink(paths.root_key.c_str()) != 0) {
    return Error(Code::kUnavailable,
                 "cannot remove " + paths.root_key + ": " + std::strerror(errno));
  }
  return OkStatus();
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
