// SPDX-License-Identifier: Apache-2.0
// File: version.cc: the version CMake passes to this one file (ANCHOR_VERSION), so that a new
// release recompiles one file.
#include "core/version.h"

namespace anchor {

std::string_view Version() { return ANCHOR_VERSION; }

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " + std::string(Version());
}

}  // namespace anchor
