// SPDX-License-Identifier: Apache-2.0
// File: test_rng.h: a deterministic `Rng` (splitmix64) so tests repeat exactly.
#pragma once

#include "core/rng.h"

namespace anchor::testing {

class TestRng final : public Rng {
 public:
  explicit TestRng(uint64_t seed) : state_(seed) {}
  Status Fill(std::span<uint8_t> out) override {
    for (uint8_t& b : out) {
      state_ += 0x9e3779b97f4a7c15ULL;
      uint64_t z = state_;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      b = static_cast<uint8_t>(z ^ (z >> 31));
    }
    return OkStatus();
  }

 private:
  uint64_t state_;
};

// RepeatingRng returns the same bytes every time: it forces serial collisions.
class RepeatingRng final : public Rng {
 public:
  Status Fill(std::span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<uint8_t>(0x40 + i);
    }
    return OkStatus();
  }
};

}  // namespace anchor::testing
