// SPDX-License-Identifier: Apache-2.0
// File: utf8.cc: a strict UTF-8 decoder.
#include "names/utf8.h"

#include <algorithm>
#include <cstdint>

namespace anchor::names {
namespace {

// SequenceLength is the length a lead byte announces, or 0 for a byte that cannot lead.
size_t SequenceLength(uint8_t lead) {
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xc2 && lead <= 0xdf) {
    return 2;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    return 4;
  }
  return 0;  // a continuation byte, an overlong 2-byte lead (c0, c1) or beyond U+10FFFF
}

}  // namespace

std::optional<std::u32string> DecodeUtf8(std::string_view text) {
  //= https://www.rfc-editor.org/rfc/rfc3629#section-4
  //# UTF8-2 = %xC2-DF UTF8-tail
  //# UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) / %xED %x80-9F UTF8-tail / ...
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<uint8_t>(text[i]);
    const size_t n = SequenceLength(lead);
    if (n == 0 || i + n > text.size()) {
      return std::nullopt;
    }
    char32_t cp = n == 1 ? lead : lead & (0xff >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
      const auto tail = static_cast<uint8_t>(text[i + k]);
      if ((tail & 0xc0) != 0x80) {
        return std::nullopt;
      }
      cp = (cp << 6) | (tail & 0x3f);
    }
    const char32_t min = n == 1 ? 0 : n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return std::nullopt;  // overlong, out of range, or a UTF-16 surrogate
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace anchor::names
