// SPDX-License-Identifier: Apache-2.0
// File: rng.h: randomness as a parameter. The CSPRNG lives in crypto/ (`CryptoRng`).
#pragma once

#include <cstdint>
#include <span>

#include "core/error.h"

namespace anchor {

// Rng fills buffers with random bytes. Serial numbers and salts come from an `Rng&`, so tests can
// make them deterministic and production passes the OpenSSL CSPRNG.
class Rng {
 public:
  virtual ~Rng() = default;
  // Fill writes `out.size()` random bytes; it fails only if the generator cannot be seeded.
  virtual Status Fill(std::span<uint8_t> out) = 0;
};

}  // namespace anchor
