// SPDX-License-Identifier: Apache-2.0
// File: serial_number.cc: serial generation.
#include "ca/serial_number.h"

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

}  // namespace anchor::ca
