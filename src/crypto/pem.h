// SPDX-License-Identifier: Apache-2.0
// File: pem.h: splitting PEM text into labelled DER blocks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::crypto {

// PemBlock is one "-----BEGIN <label>-----" block, decoded.
struct PemBlock {
  std::string label;
  std::vector<uint8_t> der;
};

// LooksLikePem is true when `data` contains a PEM BEGIN line.
bool LooksLikePem(std::string_view data);
// ParsePemBlocks decodes every block of `data` (OpenSSL's PEM reader). A damaged block, or no
// block at all, is kInvalidArgument.
Result<std::vector<PemBlock>> ParsePemBlocks(std::string_view data);
// ToPem encodes `der` as one PEM block with `label`.
std::string ToPem(std::string_view label, std::span<const uint8_t> der);
// AsBytes views a string's bytes.
inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace anchor::crypto
