// SPDX-License-Identifier: Apache-2.0
// File: config_file.cc: anchor.toml read once and handed to the CA and the transport.
#include "home/config_file.h"

#include <toml++/toml.h>

#include <span>
#include <sstream>
#include <utility>
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

Result<ConfigFile> LoadConfigFileToReload(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ANCHOR_ASSIGN_OR_RETURN(toml::table root, toml_fields::ParseToml(text, path));
  const toml::table* ca = root["ca"].as_table();
  for (const char* key : {"name", "key_type"}) {
    if (ca == nullptr || !ca->contains(key)) {
      return Error(Code::kFailedPrecondition,
                   path + " has no [ca] " + key +
                       ", which anchor init writes: the file is empty, truncated or not this "
                       "CA's; restore it (the running settings stay until then)");
    }
  }
  return ParseConfigFile(text, path);
}

namespace {

// Assignments are the "section.key" -> "value" of a TOML text as ConfigFileToml writes it (one
// key per line, comments after '#' outside of strings not used for values), in order.
std::vector<std::pair<std::string, std::string>> Assignments(const std::string& toml) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(toml);
  std::string section;
  const auto trim = [](std::string v) {
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t") + 1);
    return v;
  };
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.front() == '[') {
      section = trim(line.substr(1, line.find(']') - 1));
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const std::string key = trim(line.substr(0, eq));
    out.emplace_back(section.empty() ? key : section + "." + key, trim(line.substr(eq + 1)));
  }
  return out;
}

}  // namespace

std::vector<std::string> ChangedSettings(const ConfigFile& before, const ConfigFile& after) {
  const auto old_values = Assignments(ConfigFileToml(before));
  const auto new_values = Assignments(ConfigFileToml(after));
  const auto find = [](const auto& list, const std::string& key) -> const std::string* {
    for (const auto& [k, v] : list) {
      if (k == key) {
        return &v;
      }
    }
    return nullptr;
  };
  std::vector<std::string> changed;
  for (const auto& [key, value] : new_values) {
    const std::string* was = find(old_values, key);
    if (was == nullptr || *was != value) {
      changed.push_back(key + " " + (was ? *was : "(unset)") + " -> " + value);
    }
  }
  for (const auto& [key, value] : old_values) {
    if (find(new_values, key) == nullptr) {
      changed.push_back(key + " " + value + " -> (unset)");
    }
  }
  return changed;
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
