// SPDX-License-Identifier: Apache-2.0
// File: digest.h: SHA-256, for fingerprints, token hashes and the audit chain; HMAC-SHA256.
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
// HmacSha256 is HMAC-SHA256 (RFC 2104) of `data` under `key`.
Sha256Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
// ConstantTimeEquals compares two byte strings without leaking where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace anchor::crypto
