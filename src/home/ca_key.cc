// SPDX-License-Identifier: Apache-2.0
// File: ca_key.cc: new CA keys, in memory or in a token.
#include "home/ca_key.h"

namespace anchor::home {

void MadeKeys::Undo() {
  for (const crypto::Pkcs11KeyUri& uri : made_) {
    (void)crypto::DestroyPkcs11Key(uri);
  }
  made_.clear();
}

Result<crypto::PrivateKey> MakeCaKey(const std::string& key_uri, crypto::KeyType type,
                                     std::string_view flag, MadeKeys& made) {
  if (key_uri.empty()) {
    return crypto::PrivateKey::Generate(type);
  }
  auto uri = crypto::ParsePkcs11KeyUri(key_uri);
  if (!uri) {
    return uri.error().Prefixed(flag);
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::GeneratedPkcs11Key key, crypto::GeneratePkcs11Key(*uri, type));
  made.Add(key.uri);
  return std::move(key.key);
}

}  // namespace anchor::home
