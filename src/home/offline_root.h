// SPDX-License-Identifier: Apache-2.0
// File: offline_root.h: the root key, in the CA home or in a directory kept offline, and the
// root's own CRL.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/key.h"
#include "home/ca_home.h"

namespace anchor::home {

// A root directory holds root.key and root.crt: the CA home itself while the root is online,
// or the directory given to `anchor init --offline-root DIR` / `anchor ca take-root-offline DIR`,
// kept on an offline machine (or medium). It also keeps the root's last CRL, root.crl: the
// root's revocations (retired intermediates) live with the root key, not in the online store.
struct RootDir {
  std::string dir, key, cert, crl;
  static RootDir In(const std::string& dir);
};

// LoadRootKey reads `root_dir`'s root.key. When there is none, kFailedPrecondition in one line:
// the root is kept offline; run the command on the offline machine with --root-dir DIR (the
// offline root's ceremony, docs/OPERATIONS.md). `command` names the command that needs it.
Result<crypto::PrivateKey> LoadRootKey(const RootDir& root_dir, const SecretBytes* passphrase,
                                       const std::string& command);
// LoadRoot reads root.crt and root.key of `root_dir` and checks that they belong together.
struct Root {
  crypto::Certificate cert;
  crypto::PrivateKey key;
};
Result<Root> LoadRoot(const RootDir& root_dir, const SecretBytes* passphrase,
                      const std::string& command);

// WriteOfflineRoot writes root.key (0600, encrypted with `passphrase` when given) and root.crt
// into `dir`, which must not exist or be empty, and is created 0700: together
// (core::WriteFilesTogether), then loaded back and checked. On failure nothing is left (`dir`
// is removed if this call created it), so the command can be run again as it was.
Status WriteOfflineRoot(const std::string& dir, const crypto::Certificate& root,
                        const crypto::PrivateKey& key, const SecretBytes* passphrase);

// TakeRootOffline copies the home's root.key (as it is: encrypted stays encrypted), root.crt
// and root.crl (when the home has one) to `dir` (new or empty) together
// (core::WriteFilesTogether), loads them back and checks them (root.crt a certificate, and
// root.key, unless encrypted, its key), and only then removes the home's root.key. On any
// failure the home is as it was and nothing is left in `dir` (removed when this call created
// it), so that it can be run again. A home without root.key is kFailedPrecondition.
Status TakeRootOffline(const CaPaths& paths, const std::string& dir);

// NextRootCrl signs the root's next CRL: the entries of the last one in `root_dir` (root.crl,
// checked to be the root's) plus `revoke` (intermediates, each certified by this root and not
// the root itself) with `reason`, numbered one past the last (and at least the Unix time, so it
// stays above the numbers older anchor versions took from the store), valid `days`; it is
// written to root.crl there and returned.
Result<crypto::Crl> NextRootCrl(const RootDir& root_dir, const Root& root,
                                const std::vector<crypto::Certificate>& revoke, int reason,
                                const Clock& clock, int days);

}  // namespace anchor::home
