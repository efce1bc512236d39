// SPDX-License-Identifier: Apache-2.0
// File: crypto_rng.h: the production `Rng`, OpenSSL's CSPRNG.
#pragma once

#include "core/rng.h"

namespace anchor::crypto {

// CryptoRng draws from OpenSSL's DRBG (RAND_bytes), seeded from the operating system.
class CryptoRng final : public Rng {
 public:
  Status Fill(std::span<uint8_t> out) override;
};

}  // namespace anchor::crypto
