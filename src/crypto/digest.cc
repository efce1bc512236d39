// SPDX-License-Identifier: Apache-2.0
// File: digest.cc: SHA-256 through EVP_Digest.
#include "crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "core/text.h"

namespace anchor::crypto {

Sha256Digest Sha256(std::span<const uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  ANCHOR_CHECK(::EVP_Digest(data.data(), data.size(), out.data(), &len, ::EVP_sha256(), nullptr) ==
               1);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  const auto digest = Sha256({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  return HexEncode(digest);
}

Sha256Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Sha256Digest out{};
  size_t len = 0;
  ANCHOR_CHECK(::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                           data.data(), data.size(), out.data(), out.size(), &len) != nullptr &&
               len == out.size());
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace anchor::crypto
