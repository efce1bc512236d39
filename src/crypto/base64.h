// SPDX-License-Identifier: Apache-2.0
// File: base64.h: base64 as EST (RFC 7030) and HTTP Basic use it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::crypto {

// Base64Encode encodes `data`, with a line break every 64 characters when `wrap`.
std::string Base64Encode(std::span<const uint8_t> data, bool wrap = false);
// Base64Decode decodes standard base64, ignoring whitespace (EST bodies are line-wrapped).
// Anything else that is not base64 is kInvalidArgument.
Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace anchor::crypto
