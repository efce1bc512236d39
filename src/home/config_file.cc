// SPDX-License-Identifier: Apache-2.0
// File: config_file.cc: anchor.toml read once and handed to the CA and the transport.
#include "home/config_file.h"

#include <libpq-fe.h>
#include <toml++/toml.h>

#include <algorithm>
#include <span>
#include <sstream>
#include <utility>
#include <vector>

#include "ca/config_toml.h"
#include "core/file_io.h"
#include "core/text.h"
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

Result<ConfigFile> ParseConfigFile(const toml::table& root, const std::string& origin) {
  ConfigFile file;
  // [server] as it always was read: its keys first, then the transport's values, then the CA's.
  if (const toml::table* server = root["server"].as_table()) {
    ANCHOR_TRY(CheckServerKeys(*server, origin));
    ANCHOR_ASSIGN_OR_RETURN(file.server, server::ParseServerSettings(*server, origin));
  }
  if (const toml::table* store = root["store"].as_table()) {
    ANCHOR_TRY(toml_fields::CheckKnownKeys(*store, kStoreKeys, origin, "store."));
    ANCHOR_ASSIGN_OR_RETURN(
        file.store.url,
        toml_fields::Scalar<std::string>((*store)["url"], std::string(), origin, "store.url"));
    if (!file.store.url.empty()) {
      if (Status ok = CheckStoreUrl(file.store.url); !ok) {
        return ok.error().Prefixed(origin + ": store.url");
      }
    }
    ANCHOR_ASSIGN_OR_RETURN(const int64_t lease,
                            toml_fields::Scalar<int64_t>((*store)["crl_lease_seconds"],
                                                         StoreSettings::kDefaultCrlLeaseSeconds,
                                                         origin, "store.crl_lease_seconds"));
    if (lease < 1 || lease > 600) {
      return Error(Code::kInvalidArgument,
                   origin + ": store.crl_lease_seconds must be between 1 and 600 (seconds)");
    }
    if (store->contains("crl_lease_seconds") && file.store.url.empty()) {
      return Error(Code::kInvalidArgument,
                   origin +
                       ": store.crl_lease_seconds is for a PostgreSQL store; set store.url "
                       "too, or remove it (the SQLite store has no CRL lease)");
    }
    file.store.crl_lease_seconds = static_cast<int>(lease);
  }
  ANCHOR_ASSIGN_OR_RETURN(file.ca, ca::CaConfigFromToml(root, origin));
  return file;
}

Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& origin) {
  ANCHOR_ASSIGN_OR_RETURN(const toml::table root, toml_fields::ParseToml(text, origin));
  return ParseConfigFile(root, origin);
}

Result<ConfigFile> LoadConfigFile(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseConfigFile(text, path);
}

Result<ConfigFile> LoadConfigFileToReload(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ANCHOR_ASSIGN_OR_RETURN(const toml::table root, toml_fields::ParseToml(text, path));
  const toml::table* ca = root["ca"].as_table();
  for (const char* key : {"name", "key_type"}) {
    if (ca == nullptr || !ca->contains(key)) {
      return Error(Code::kFailedPrecondition,
                   path + " has no [ca] " + key +
                       ", which anchor init writes: the file is empty, truncated or not this "
                       "CA's; restore it (the running settings stay until then)");
    }
  }
  return ParseConfigFile(root, path);
}

namespace {

// Setting is one value of a parsed TOML document, by its dotted key.
struct Setting {
  std::string key;  // "profiles.device.max_days"
  toml::node_view<const toml::node> value;
};

// Settings lists the values of `table` (arrays are values; tables are walked), with dotted keys
// under `prefix`, in the order of the text they were parsed from.
void Settings(const toml::table& table, const std::string& prefix, std::vector<Setting>& out) {
  for (const auto& [name, node] : table) {
    const std::string key = prefix + std::string(name.str());
    if (const toml::table* inner = node.as_table()) {
      Settings(*inner, key + ".", out);
    } else {
      out.push_back({key, toml::node_view<const toml::node>(node)});
    }
  }
}

std::vector<Setting> Settings(const toml::table& root) {
  std::vector<Setting> out;
  Settings(root, "", out);
  std::stable_sort(out.begin(), out.end(), [](const Setting& a, const Setting& b) {
    return a.value.node()->source().begin < b.value.node()->source().begin;
  });
  return out;
}

// ValueText is a value as TOML writes it ("30", "\"device\"", "[ \"a\", \"b\" ]").
std::string ValueText(toml::node_view<const toml::node> value) {
  std::ostringstream out;
  // Without the formatter's defaults: strings in double quotes, as anchor init writes them.
  out << toml::toml_formatter(*value.node(), toml::format_flags::none);
  return out.str();
}

const Setting* Find(const std::vector<Setting>& settings, const std::string& key) {
  const auto it = std::find_if(settings.begin(), settings.end(),
                               [&key](const Setting& s) { return s.key == key; });
  return it == settings.end() ? nullptr : &*it;
}

// IsTransportKey is true for a key read once at start: the transport's ("server.threads") and
// [store]'s.
bool IsTransportKey(std::string_view key) {
  if (key.starts_with("store.")) {
    return true;
  }
  if (!key.starts_with("server.")) {
    return false;
  }
  key.remove_prefix(std::string_view("server.").size());
  return std::find(std::begin(server::kServerSettingKeys), std::end(server::kServerSettingKeys),
                   key) != std::end(server::kServerSettingKeys);
}

}  // namespace

std::string SettingChange::Describe() const { return key + " " + before + " -> " + after; }

std::vector<SettingChange> SettingChanges(const ConfigFile& before, const ConfigFile& after) {
  // Both sides are rendered as `anchor init` writes them, then read back with toml++: what is
  // compared is the parsed values, whatever the layout of the text.
  const Result<toml::table> old_root = toml_fields::ParseToml(ConfigFileToml(before), "before");
  const Result<toml::table> new_root = toml_fields::ParseToml(ConfigFileToml(after), "after");
  if (!old_root || !new_root) {
    // ConfigFileToml writes what ParseConfigFile reads; failing here is a bug, said as such.
    const Error& e = old_root ? new_root.error() : old_root.error();
    return {{"anchor.toml", "(not comparable)", e.message(), false}};
  }
  const std::vector<Setting> old_values = Settings(*old_root);
  const std::vector<Setting> new_values = Settings(*new_root);
  std::vector<SettingChange> changed;
  for (const Setting& now : new_values) {
    const Setting* was = Find(old_values, now.key);
    if (was == nullptr || was->value != now.value) {
      changed.push_back({now.key, was ? ValueText(was->value) : "(unset)", ValueText(now.value),
                         IsTransportKey(now.key)});
    }
  }
  for (const Setting& was : old_values) {
    if (Find(new_values, was.key) == nullptr) {
      changed.push_back({was.key, ValueText(was.value), "(unset)", IsTransportKey(was.key)});
    }
  }
  return changed;
}

std::vector<std::string> ChangedSettings(const ConfigFile& before, const ConfigFile& after) {
  std::vector<std::string> out;
  for (const SettingChange& change : SettingChanges(before, after)) {
    out.push_back(change.Describe());
  }
  return out;
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
  add("store.", kStoreKeys);
  return keys;
}

std::string ConfigFileToml(const ConfigFile& file) {
  return file.ca.ToToml(server::ServerSettingsToml(file.server)) + StoreTableToml(file.store);
}

std::string StoreTableToml(const StoreSettings& store) {
  if (store.url.empty()) {
    return "";  // without it, anchor.db in the home
  }
  toml::table table{{"url", store.url}};
  if (store.crl_lease_seconds != StoreSettings::kDefaultCrlLeaseSeconds) {
    table.insert("crl_lease_seconds", store.crl_lease_seconds);
  }
  std::ostringstream text;
  text << toml::toml_formatter(table, toml::format_flags::none);
  return "\n[store]\n" + text.str() + "\n";
}

namespace {

// PercentDecoded is `text` with its %XX escapes decoded (libpq decodes them in a URI's user
// and parameters alike), so that "pass%77ord" reads as what libpq will read.
std::string PercentDecoded(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    std::vector<uint8_t> byte;
    if (text[i] == '%' && i + 2 < text.size() && HexDecode(text.substr(i + 1, 2), byte) &&
        byte.size() == 1) {
      out += static_cast<char>(byte[0]);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

Status CheckStoreUrl(const std::string& url) {
  if (!StartsWithIgnoreCase(url, "postgres://") && !StartsWithIgnoreCase(url, "postgresql://")) {
    return Error(Code::kInvalidArgument,
                 "not a PostgreSQL URI: write postgres://USER@HOST[:PORT]/DATABASE, or for a Unix "
                 "socket postgres://USER@/DATABASE?host=/SOCKET/DIR (the SQLite store in the CA "
                 "home needs no setting)");
  }
  const std::string password_rule =
      "the URI holds a password, which would be seen in anchor.toml, backups and the process "
      "list; remove it and give it in $PGPASSWORD or a passfile (~/.pgpass, or passfile=FILE in "
      "the URI)";
  // Checked in the text as well as in what libpq makes of it: libpq keeps the last of a
  // repeated parameter, so "password=x&password=" would read as no password at all.
  const std::string decoded = ToLower(PercentDecoded(url));
  const size_t scheme_end = decoded.find("://") + 3;
  const size_t authority_end = decoded.find_first_of("/?", scheme_end);
  const std::string authority = decoded.substr(scheme_end, authority_end - scheme_end);
  const size_t at = authority.rfind('@');
  if ((at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) ||
      decoded.find("password=") != std::string::npos) {
    return Error(Code::kInvalidArgument, password_rule);
  }
  char* why = nullptr;
  PQconninfoOption* parsed = ::PQconninfoParse(url.c_str(), &why);
  if (parsed == nullptr) {
    // libpq's reason quotes the URI, which may hold what must not be repeated: not said.
    ::PQfreemem(why);
    return Error(Code::kInvalidArgument,
                 "libpq cannot read the URI; write postgres://USER@HOST[:PORT]/DATABASE"
                 "[?PARAMETER=VALUE&...] with %XX for special characters");
  }
  bool password = false;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
      password = true;
    }
  }
  ::PQconninfoFree(parsed);
  if (password) {
    return Error(Code::kInvalidArgument, password_rule);
  }
  return OkStatus();
}

}  // namespace anchor::home
