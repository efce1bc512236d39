// SPDX-License-Identifier: Apache-2.0
// File: fingerprint.h: reading a SHA-256 certificate fingerprint as people paste it.
#pragma once

#include <string>

#include "core/error.h"

namespace anchor {

// ParseSha256Fingerprint reads a SHA-256 fingerprint as people paste it: hex in either case, with
// or without ':', and with the "sha256 Fingerprint=" (or "SHA256 Fingerprint=") that `openssl
// x509 -fingerprint -sha256` prints before it. It returns the 64 hex digits in lower case.
// Anything else (a SHA-1 fingerprint's 40 digits included) is kInvalidArgument, saying how to get
// the right one.
Result<std::string> ParseSha256Fingerprint(const std::string& text);

}  // namespace anchor
