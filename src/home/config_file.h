// SPDX-License-Identifier: Apache-2.0
// File: config_file.h: anchor.toml as a whole. It is read once, here, and each layer is handed
// its part: the CA its tables and its keys of [server] (ca::CaConfig), the transport its keys of
// [server] (server::ServerSettings). [server] is shared, so its keys are checked here, against
// both layers' lists.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

#include "ca/config.h"
#include "core/error.h"
#include "server/server_settings.h"

namespace anchor::home {

// ConfigFile is the content of anchor.toml, by the layer that reads each part.
// StoreSettings are the keys of [store]: where the CA's records live. Read at start only.
struct StoreSettings {
  // url is empty for the SQLite database anchor.db in the CA home (the default), or a
  // postgres:// (postgresql://) URI for a PostgreSQL database that several `anchor serve`
  // replicas share. It never holds a password: libpq reads that from $PGPASSWORD or a passfile
  // (~/.pgpass, or passfile= in the URI).
  std::string url;
  // crl_lease_seconds bounds how long one replica may hold the CRL lease
  // (store::PostgresOptions::crl_lease): the longest a replica that stalls while it builds the
  // CRL holds the others' new CRLs back. PostgreSQL only.
  int crl_lease_seconds = kDefaultCrlLeaseSeconds;
  static constexpr int kDefaultCrlLeaseSeconds = 10;
};
inline constexpr std::string_view kStoreKeys[] = {"url", "crl_lease_seconds"};

// StoreTableToml is the [store] table of anchor.toml for `store` ("" for the default, SQLite):
// what ConfigFileToml ends with, and what `anchor store migrate` appends.
std::string StoreTableToml(const StoreSettings& store);

// CheckStoreUrl checks a [store] url (or `anchor init --store`): a postgres:// or
// postgresql:// URI that libpq can read and that holds no password. Errors are
// kInvalidArgument, saying where the password goes.
Status CheckStoreUrl(const std::string& url);

struct ConfigFile {
  ca::CaConfig ca = ca::CaConfig::Defaults();
  server::ServerSettings server;
  StoreSettings store;
};

// ParseConfigFile reads anchor.toml text; `origin` names it in errors. A key of [server] that
// neither the CA nor the transport reads is kInvalidArgument naming it ("server.KEY"), as every
// other unknown key is.
Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& origin);
// ParseConfigFile reads anchor.toml already parsed by toml++ (the same checks).
Result<ConfigFile> ParseConfigFile(const toml::table& root, const std::string& origin);

// LoadConfigFile reads and parses the file at `path`.
Result<ConfigFile> LoadConfigFile(const std::string& path);

// LoadConfigFileToReload is LoadConfigFile for a reload of a running CA (SIGHUP): a file that
// lacks [ca] name or [ca] key_type, which `anchor init` always writes, is kFailedPrecondition
// naming the file, so that an empty or truncated anchor.toml never replaces the settings in use
// with defaults.
Result<ConfigFile> LoadConfigFileToReload(const std::string& path);

// SettingChange is one setting whose value differs between two readings of anchor.toml.
struct SettingChange {
  std::string key;     // dotted: "profiles.device.max_days"
  std::string before;  // the TOML value ("30", "\"x\""); "(unset)" for a side without the key
  std::string after;
  // needs_restart: a key of the transport (server::kServerSettingKeys) or of [store], read once
  // at start; a reload does not apply it.
  bool needs_restart = false;

  // Describe is "profiles.device.max_days 30 -> 825".
  std::string Describe() const;
};

// SettingChanges lists each setting whose value differs between `before` and `after`: both are
// rendered as ConfigFileToml writes them and parsed back with toml++, and the values are compared
// key by key (dotted keys); in the order of `after`'s file, then the keys only `before` has.
std::vector<SettingChange> SettingChanges(const ConfigFile& before, const ConfigFile& after);

// ChangedSettings is SettingChanges described ("profiles.device.max_days 30 -> 825").
std::vector<std::string> ChangedSettings(const ConfigFile& before, const ConfigFile& after);

// ConfigFileToml renders `file` as `anchor init` writes it: the CA's tables, with the transport's
// keys at the head of [server].
std::string ConfigFileToml(const ConfigFile& file);

// ConfigKeys lists every key anchor.toml accepts, dotted ("ca.name", "server.threads"); a
// profile's keys are written once as "profiles.PROFILE.KEY". docs/CONFIG.md documents each (a
// test holds it to this list).
std::vector<std::string> ConfigKeys();

}  // namespace anchor::home
