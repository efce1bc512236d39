// SPDX-License-Identifier: Apache-2.0
// File: home_files.h: which files a CA home holds: the one rule backup and restore follow.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::home {

// HomeFileKind says what a path inside a CA home is.
enum class HomeFileKind {
  kPublic,   // anchor.toml, a certificate, intermediates/current: copied as it is
  kKey,      // a private key: 0600, in a backup only with --with-keys, encrypted
  kStore,    // anchor.db and SQLite's files beside it: copied only by the online backup
  kLock,     // own-certificates.lock: the home's own, for its running processes; never copied
  kUnknown,  // anything else (an earlier backup, an editor's file, a staged ".new"): not the CA's
};

// ClassifyHomeFile is the rule, in one place, for `rel` (relative to the home, '/'-separated):
// - anchor.toml; root, intermediate, server, admin and ocsp (`anchor ocsp signer`) .crt/.key:
//   what `anchor init` and the CA's other commands write (CaPaths);
// - root.crl: the root's CRL (`anchor crl --root` while the root key is in the home,
//   home/offline_root.h): the root's revocations of intermediates live only there;
// - attestation.key: the key of TPM attestation challenges (kAttestationKey), kKey;
// - own-certificates.lock: the lock on server.* and ocsp.* (LockOwnCertificates), kLock;
// - serving.lock: held (shared) by each running `anchor serve` (HoldServing), kLock;
// - intermediates/current and intermediates/<N>/intermediate.crt|.key: the intermediate
//   generations of `anchor ca rotate` (home/intermediates.h), N a generation number;
// - anchor.db, anchor.db-wal, -shm, -journal: the store.
// A new kind of file in the CA home is added here, and only here.
HomeFileKind ClassifyHomeFile(std::string_view rel);

// kOwnCertificatesLock is the lock file of LockOwnCertificates (home/own_certificates.h).
inline constexpr const char* kOwnCertificatesLock = "own-certificates.lock";
// kAttestationKey keys the MAC of TPM attestation challenges (ca/key_attestation.h): an Ed25519
// key used for nothing else, made by the first `anchor serve` with [server] tpm_manufacturer_ca,
// kept, backed up and restored as the home's other keys are. Replicas must share it.
inline constexpr const char* kAttestationKey = "attestation.key";
// kServingLock is the lock file each running `anchor serve` holds shared (HoldServing).
inline constexpr const char* kServingLock = "serving.lock";

// kRequiredHomeFiles are what every CA home holds and a restore must find in a backup.
inline constexpr const char* kRequiredHomeFiles[] = {"anchor.toml", "root.crt", "intermediate.crt"};
// kRequiredHomeKeys are the keys a CA home needs to issue and serve (root.key may be kept
// offline, admin.key on the administrator's machine): a backup with keys must hold them.
inline constexpr const char* kRequiredHomeKeys[] = {"intermediate.key", "server.key"};

// HomeFile is one file of a CA home found by ListHomeFiles.
struct HomeFile {
  std::string rel;   // relative to the home
  std::string path;  // to read it from
  HomeFileKind kind = HomeFileKind::kPublic;
  bool symlink = false;  // `path` is a symbolic link to a regular file: its target is read
};

// HomeListing is what ListHomeFiles finds.
struct HomeListing {
  std::vector<HomeFile> files;       // kPublic and kKey, by name
  std::vector<std::string> unknown;  // kUnknown entries (files or directories), not read
};

// ListHomeFiles lists the CA home's own files (kPublic, kKey) and names the rest (kUnknown; the
// store's files and the lock file are left out of both). It reads no file. A known name that is a
// symbolic link is followed when it leads to a regular file (HomeFile::symlink says so); one that
// leads nowhere or to something else, or a known name that is not a regular file, is
// kFailedPrecondition naming it. An unreadable home is kFailedPrecondition "permission denied
// for user ...".
Result<HomeListing> ListHomeFiles(const std::string& home);

}  // namespace anchor::home
