// SPDX-License-Identifier: Apache-2.0
// File: version.h: the release every program reports with --version.
#pragma once

#include <string>
#include <string_view>

namespace anchor {

// Version is the project's version from CMakeLists.txt's project(), e.g. "0.1.0".
std::string_view Version();

// VersionLine is what `PROGRAM --version` prints: "PROGRAM VERSION".
std::string VersionLine(std::string_view program);

}  // namespace anchor
