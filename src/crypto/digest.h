// SPDX-License-Identifier: Apache-2.0
// File: digest.h: SHA-256, for fingerprints, token hashes and the audit chain.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace anchor::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// Sha256 hashes `data`.
Sha256Digest Sha256(std::span<const uint8_t> data);
// Sha256Hex hashes `data` and returns lower-case hex.
std::string Sha256Hex(std::string_view data);
// ConstantTimeEquals compares two byte strings without leaking where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace anchor::crypto
