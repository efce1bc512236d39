// SPDX-License-Identifier: Apache-2.0
// File: config_file.h: anchor.toml as a whole. It is read once, here, and each layer is handed
// its part: the CA its tables and its keys of [server] (ca::CaConfig), the transport its keys of
// [server] (server::ServerSettings). [server] is shared, so its keys are checked here, against
// both layers' lists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ca/config.h"
#include "core/error.h"
#include "server/server_settings.h"

namespace anchor::home {

// ConfigFile is the content of anchor.toml, by the layer that reads each part.
struct ConfigFile {
  ca::CaConfig ca = ca::CaConfig::Defaults();
  server::ServerSettings server;
};

// ParseConfigFile reads anchor.toml text; `origin` names it in errors. A key of [server] that
// neither the CA nor the transport reads is kInvalidArgument naming it ("server.KEY"), as every
// other unknown key is.
Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& origin);

// LoadConfigFile reads and parses the file at `path`.
Result<ConfigFile> LoadConfigFile(const std::string& path);

// LoadConfigFileToReload is LoadConfigFile for a reload of a running CA (SIGHUP): a file that
// lacks [ca] name or [ca] key_type, which `anchor init` always writes, is kFailedPrecondition
// naming the file, so that an empty or truncated anchor.toml never replaces the settings in use
// with defaults.
Result<ConfigFile> LoadConfigFileToReload(const std::string& path);

// ChangedSettings names each setting whose value differs between `before` and `after`, as
// "profiles.device.max_days 30 -> 825" (dotted key, then the TOML values as ConfigFileToml
// writes them; "(unset)" for a side without the key), in the order of `after`'s file.
std::vector<std::string> ChangedSettings(const ConfigFile& before, const ConfigFile& after);

// ConfigFileToml renders `file` as `anchor init` writes it: the CA's tables, with the transport's
// keys at the head of [server].
std::string ConfigFileToml(const ConfigFile& file);

// ConfigKeys lists every key anchor.toml accepts, dotted ("ca.name", "server.threads"); a
// profile's keys are written once as "profiles.PROFILE.KEY". docs/CONFIG.md documents each (a
// test holds it to this list).
std::vector<std::string> ConfigKeys();

}  // namespace anchor::home
