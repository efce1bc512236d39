// SPDX-License-Identifier: Apache-2.0
// File: config_toml.h: the CA's part of anchor.toml, read from the parsed file. It is apart from
// config.h so that the many files that include config.h do not also parse toml++'s headers.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "ca/config.h"
#include "core/error.h"

namespace anchor::ca {

// CaConfigFromToml reads the CA's tables of anchor.toml ([ca], [device], [service],
// [profiles.*]) and its keys of [server] (kServerPolicyKeys) from `root`; unknown keys and bad
// values are kInvalidArgument naming the key after `origin`. [server] is shared with the
// transport, so its other keys are left to whoever reads the whole file (home/), which checks
// them against both layers' lists.
Result<CaConfig> CaConfigFromToml(const toml::table& root, const std::string& origin);

}  // namespace anchor::ca
