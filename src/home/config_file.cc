// SPDX-License-Identifier: Apache-2.0
// File: config_file.cc: anchor.toml read once and handed to the CA and the transport.
#include "home/config_file.h"

#include <toml++/toml.h>

#include <span>
#include <vector>

#include "ca/config_toml.h"
#include "core/file_io.h"
#include "core/toml_fields.h"

namespace anchor::home {
namespace {

// CheckServerKeys refuses a key of [server] that no layer reads: the CA and the transport each
// read only their own keys of the table they share, so only here are all of them known.
Status CheckServerKeys(const toml::table& server, const std::string& origin) {
  std::vector<std::string_view> known(std::begin(server::kServerSettingKeys),
                                      std::end(server::kServerSettingKeys));
  known.insert(known.end(), std::begin(ca::kServerPolicyKeys), std::end(ca::kServerPolicyKeys));
  return toml_fields::CheckKnownKeys(server, known, origin, "server.");
}

}  // namespace

Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& origin) {
  ANCHOR_ASSIGN_OR_RETURN(toml::table root, toml_fields::ParseToml(text, origin));
  ConfigFile file;
  // [server] as it always was read: its keys first, then the transport's values, then the CA's.
  if (const toml::table* server = root["server"].as_table()) {
    ANCHOR_TRY(CheckServerKeys(*server, origin));
    ANCHOR_ASSIGN_OR_RETURN(file.server, server::ParseServerSettings(*server, origin));
  }
  ANCHOR_ASSIGN_OR_RETURN(file.ca, ca::CaConfigFromToml(root, origin));
  return file;
}

Result<ConfigFile> LoadConfigFile(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseConfigFile(text, path);
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> keys;
  const auto add = [&keys](std::string_view prefix, std::span<const std::string_view> names) {
    for (const std::string_view name : names) {
      keys.push_back(std::string(prefix) + std::string(name));
    }
  };
  add("ca.", ca::kCaKeys);
  add("device.", ca::kUriTemplateKeys);
  add("service.", ca::kUriTemplateKeys);
  add("server.", server::kServerSettingKeys);
  add("server.", ca::kServerPolicyKeys);
  add("profiles.PROFILE.", ca::kProfileKeys);
  return keys;
}

std::string ConfigFileToml(const ConfigFile& file) {
  return file.ca.ToToml(server::ServerSettingsToml(file.server));
}

}  // namespace anchor::home
