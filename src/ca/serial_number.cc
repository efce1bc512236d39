// SPDX-License-Identifier: Apache-2.0
// File: serial_number.cc: serial generation.
#include "ca/serial_number.h"

#include "core/text.h"

namespace anchor::ca {

Result<std::vector<uint8_t>> NewSerial(Rng& rng) {
  std::vector<uint8_t> serial(kSerialOctets);
  for (;;) {
    ANCHOR_TRY(rng.Fill(serial));
    serial[0] &= 0x7f;
    bool zero = true;
    for (const uint8_t b : serial) {
      zero = zero && b == 0;
    }
    if (!zero) {
      return serial;
    }
  }
}

Result<std::string> NormalizeSerial(std::string_view text) {
  std::vector<uint8_t> bytes;
  if (!HexDecode(text, bytes) || bytes.empty() || bytes.size() > kMaxSerialOctets) {
    return Error(Code::kInvalidArgument, "'" + std::string(text) +
                                             "' is not a serial number; give it in hex as "
                                             "`anchor list` shows");
  }
  size_t skip = 0;
  while (skip + 1 < bytes.size() && bytes[skip] == 0) {
    ++skip;
  }
  return HexEncode(std::span<const uint8_t>(bytes).subspan(skip));
}

}  // namespace anchor::ca
