// SPDX-License-Identifier: Apache-2.0
// File: crypto_rng.cc: RAND_bytes behind the `Rng` interface.
#include "crypto/crypto_rng.h"

#include <openssl/rand.h>

#include <climits>

#include "crypto/ossl_error.h"

namespace anchor::crypto {

Status CryptoRng::Fill(std::span<uint8_t> out) {
  if (out.size() > INT_MAX || ::RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return ossl::OsslError("RAND_bytes", Code::kUnavailable);
  }
  return OkStatus();
}

}  // namespace anchor::crypto
