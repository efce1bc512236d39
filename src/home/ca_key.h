// SPDX-License-Identifier: Apache-2.0
// File: ca_key.h: where a new CA key is made: in memory (then written to a key file) or inside
// a PKCS#11 token (the key file then holds its URI).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/pkcs11_key.h"

namespace anchor::home {

// MadeKeys are the keys a command made in tokens, so that a command that fails deletes them
// (Undo): a key of no CA must not stay behind in an HSM, where nobody would know what it is.
class MadeKeys final {
 public:
  MadeKeys() = default;
  MadeKeys(const MadeKeys&) = delete;
  MadeKeys& operator=(const MadeKeys&) = delete;
  void Add(crypto::Pkcs11KeyUri uri) { made_.push_back(std::move(uri)); }
  // Undo deletes every key added (best effort: a token that is gone keeps them, as a full disk
  // keeps a file).
  void Undo();

 private:
  std::vector<crypto::Pkcs11KeyUri> made_;
};

// MakeCaKey makes a CA key of `type`: inside the PKCS#11 token `key_uri` names (RFC 7512, see
// crypto/pkcs11_key.h; the key is then added to `made`), or in memory when `key_uri` is empty.
// Errors about the URI are prefixed with `flag` (e.g. "--key-uri").
Result<crypto::PrivateKey> MakeCaKey(const std::string& key_uri, crypto::KeyType type,
                                     std::string_view flag, MadeKeys& made);

}  // namespace anchor::home
