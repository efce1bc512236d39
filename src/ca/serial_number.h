// SPDX-License-Identifier: Apache-2.0
// File: serial_number.h: random certificate serial numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

namespace anchor::ca {

//= https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.2
//# Conforming CAs MUST NOT use serialNumber values longer than 20 octets.
inline constexpr size_t kMaxSerialOctets = 20;
inline constexpr size_t kSerialOctets = 16;

// NewSerial draws 16 bytes from `rng` and clears the top bit, so the INTEGER is positive and
// encodes in at most 16 octets: 127 bits of entropy, far above the CA/B Forum's 64. Uniqueness
// is enforced by the store's primary key; the caller retries on the (2^-127) collision.
Result<std::vector<uint8_t>> NewSerial(Rng& rng);

// NormalizeSerial reads a serial as a user types it (hex, either case, ':' allowed) and returns
// the store's form: lower-case hex without leading zero octets, so "00:AB" and "ab" match.
Result<std::string> NormalizeSerial(std::string_view text);

}  // namespace anchor::ca
