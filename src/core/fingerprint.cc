// SPDX-License-Identifier: Apache-2.0
// File: fingerprint.cc: reading a pasted SHA-256 fingerprint.
#include "core/fingerprint.h"

#include <cctype>
#include <string_view>

#include "core/text.h"

namespace anchor {

Result<std::string> ParseSha256Fingerprint(const std::string& text) {
  std::string_view rest = text;
  if (const size_t eq = rest.rfind('=');
      eq != std::string_view::npos && StartsWithIgnoreCase(rest, "sha256")) {
    rest.remove_prefix(eq + 1);
  }
  std::string out;
  for (const char c : rest) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (c != ':') {
      out.clear();
      break;
    }
  }
  if (out.size() != 64) {
    return Error(Code::kInvalidArgument,
                 "'" + text +
                     "' is not a SHA-256 fingerprint: give the root's 64 hex digits (colons "
                     "allowed), as `openssl x509 -in root.crt -noout -fingerprint -sha256` prints");
  }
  return out;
}

}  // namespace anchor
