// SPDX-License-Identifier: Apache-2.0
// File: config.cc: anchor.toml through toml++.
#include "ca/config.h"

#include <toml++/toml.h>

#include <sstream>

#include "ca/config_toml.h"
#include "ca/credential_rules.h"
#include "ca/generation.h"
#include "ca/name_rules.h"
#include "core/text.h"
#include "core/toml_fields.h"
#include "names/uri.h"

namespace anchor::ca {
namespace {

using toml_fields::BadKey;
using toml_fields::CheckKnownKeys;
using toml_fields::Scalar;
using toml_fields::StringList;

std::vector<crypto::KeyType> AllTypes() {
  const auto all = crypto::AllKeyTypes();
  return {all.begin(), all.end()};
}

Result<ProfilePolicy> ParsePolicy(const toml::table& t, ProfilePolicy base,
                                  const std::string& origin, const std::string& prefix) {
  ANCHOR_TRY(CheckKnownKeys(t, kProfileKeys, origin, prefix));
  const toml::node_view<const toml::node> view(t);
  ANCHOR_ASSIGN_OR_RETURN(int64_t def, Scalar<int64_t>(view["default_days"], base.default_days,
                                                       origin, prefix + "default_days"));
  ANCHOR_ASSIGN_OR_RETURN(
      int64_t max, Scalar<int64_t>(view["max_days"], base.max_days, origin, prefix + "max_days"));
  if (max < 1 || max > 36500 || def < 1 || def > max) {
    return BadKey(origin, prefix + "default_days",
                  "must be between 1 and max_days, and max_days at most 36500");
  }
  base.default_days = static_cast<int>(def);
  base.max_days = static_cast<int>(max);
  ANCHOR_ASSIGN_OR_RETURN(int64_t minutes,
                          Scalar<int64_t>(view["default_minutes"], base.default_minutes, origin,
                                          prefix + "default_minutes"));
  if (minutes < 0 || minutes > int64_t{max} * 1440) {
    return BadKey(origin, prefix + "default_minutes", "must be between 0 and max_days in minutes");
  }
  base.default_minutes = static_cast<int>(minutes);
  if (view["dns_suffixes"]) {
    ANCHOR_ASSIGN_OR_RETURN(base.dns_suffixes,
                            StringList(view["dns_suffixes"], origin, prefix + "dns_suffixes"));
  }
  if (view["ip_ranges"]) {
    ANCHOR_ASSIGN_OR_RETURN(base.ip_ranges,
                            StringList(view["ip_ranges"], origin, prefix + "ip_ranges"));
    for (const std::string& range : base.ip_ranges) {
      if (!ParseCidr(range)) {
        return BadKey(origin, prefix + "ip_ranges", "'" + range + "' is not a CIDR range");
      }
    }
  }
  if (view["key_types"]) {
    ANCHOR_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            StringList(view["key_types"], origin, prefix + "key_types"));
    base.key_types.clear();
    for (const std::string& name : names) {
      auto type = crypto::ParseKeyType(name);
      if (!type) {
        return type.error().Prefixed(origin + ": " + prefix + "key_types");
      }
      base.key_types.push_back(*type);
    }
  }
  ANCHOR_ASSIGN_OR_RETURN(base.allow_wildcards,
                          Scalar<bool>(view["allow_wildcards"], base.allow_wildcards, origin,
                                       prefix + "allow_wildcards"));
  ANCHOR_ASSIGN_OR_RETURN(base.require_attestation,
                          Scalar<bool>(view["require_attestation"], base.require_attestation,
                                       origin, prefix + "require_attestation"));
  return base;
}

// ParseServerPolicy reads the CA's keys of the [server] table (kServerPolicyKeys); the others are
// the transport's (server::ServerSettings).
Result<ServerPolicy> ParseServerPolicy(const toml::table& t, const std::string& origin) {
  ServerPolicy s;
  ANCHOR_ASSIGN_OR_RETURN(
      s.renewal_grace_seconds,
      toml_fields::BoundedInt(t, "renewal_grace_seconds", s.renewal_grace_seconds, 0, 90 * 86400,
                              origin, "server."));
  const toml::node_view<const toml::node> v(t);
  ANCHOR_ASSIGN_OR_RETURN(
      s.bootstrap_ca, Scalar<std::string>(v["bootstrap_ca"], "", origin, "server.bootstrap_ca"));
  ANCHOR_ASSIGN_OR_RETURN(s.bootstrap_profile,
                          Scalar<std::string>(v["bootstrap_profile"], s.bootstrap_profile, origin,
                                              "server.bootstrap_profile"));
  ANCHOR_ASSIGN_OR_RETURN(
      s.tpm_manufacturer_ca,
      Scalar<std::string>(v["tpm_manufacturer_ca"], "", origin, "server.tpm_manufacturer_ca"));
  auto profile = ParseProfile(s.bootstrap_profile);
  if (!profile || !MayObtain(Credential::kFactory, *profile)) {
    return BadKey(origin, "server.bootstrap_profile",
                  "must be server, client, device, service or peer");
  }
  return s;
}

std::string TomlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", " : "") + std::string("\"") + items[i] + "\"";
  }
  return out + "]";
}

// ParseUriTemplate reads [table] uri_template into `out`, which must hold {id}.
Status ParseUriTemplate(const toml::table& root, const std::string& table,
                        const std::string& origin, std::string& out) {
  const toml::table* t = root[table].as_table();
  if (t == nullptr) {
    return OkStatus();
  }
  ANCHOR_TRY(CheckKnownKeys(*t, kUriTemplateKeys, origin, table + "."));
  ANCHOR_ASSIGN_OR_RETURN(
      out, Scalar<std::string>(toml::node_view<const toml::node>(*t)["uri_template"], out, origin,
                               table + ".uri_template"));
  const size_t id = out.find("{id}");
  if (id == std::string::npos || out.find("{id}", id + 1) != std::string::npos) {
    return BadKey(origin, table + ".uri_template", "must contain {id} once");
  }
  std::string sample = out;
  sample.replace(id, 4, "x");
  if (Status uri = names::CheckUri(sample); !uri) {
    return BadKey(origin, table + ".uri_template",
                  "must make a valid URI: " + uri.error().message());
  }
  return OkStatus();
}

}  // namespace

CaConfig CaConfig::Defaults() {
  CaConfig c;
  c.profiles[Profile::kServer] = ProfilePolicy{90, 397, {}, {}, AllTypes(), false};
  c.profiles[Profile::kClient] = ProfilePolicy{365, 825, {}, {}, AllTypes(), false};
  c.profiles[Profile::kDevice] = ProfilePolicy{365, 825, {}, {}, AllTypes(), false};
  c.profiles[Profile::kService] = ProfilePolicy{90, 397, {}, {}, AllTypes(), false};
  c.profiles[Profile::kPeer] = ProfilePolicy{90, 397, {}, {}, AllTypes(), false};
  c.profiles[Profile::kAdmin] = ProfilePolicy{365, 825, {}, {}, AllTypes(), false};
  return c;
}

Result<CaConfig> CaConfig::Parse(std::string_view text, const std::string& origin) {
  ANCHOR_ASSIGN_OR_RETURN(toml::table root, toml_fields::ParseToml(text, origin));
  return CaConfigFromToml(root, origin);
}

Result<CaConfig> CaConfigFromToml(const toml::table& root, const std::string& origin) {
  CaConfig c = CaConfig::Defaults();
  ANCHOR_TRY(CheckKnownKeys(root, kTopLevelTables, origin, ""));
  if (const toml::table* ca = root["ca"].as_table()) {
    ANCHOR_TRY(CheckKnownKeys(*ca, kCaKeys, origin, "ca."));
    const toml::node_view<const toml::node> v(*ca);
    ANCHOR_ASSIGN_OR_RETURN(c.name, Scalar<std::string>(v["name"], c.name, origin, "ca.name"));
    ANCHOR_ASSIGN_OR_RETURN(c.public_url,
                            Scalar<std::string>(v["public_url"], "", origin, "ca.public_url"));
    if (!c.public_url.empty()) {
      auto st = ValidatePublicUrl(c.public_url);
      if (!st) {
        return st.error().Prefixed(origin + ": ca.public_url");
      }
    }
    ANCHOR_ASSIGN_OR_RETURN(std::string kt,
                            Scalar<std::string>(v["key_type"], "ec-p256", origin, "ca.key_type"));
    auto key_type = crypto::ParseKeyType(kt);
    if (!key_type) {
      return key_type.error().Prefixed(origin + ": ca.key_type");
    }
    c.key_type = *key_type;
    ANCHOR_ASSIGN_OR_RETURN(int64_t crl_days,
                            Scalar<int64_t>(v["crl_days"], 7, origin, "ca.crl_days"));
    if (crl_days < 1 || crl_days > 366) {
      return BadKey(origin, "ca.crl_days", "must be between 1 and 366");
    }
    c.crl_days = static_cast<int>(crl_days);
  }
  ANCHOR_TRY(ParseUriTemplate(root, "device", origin, c.device_uri_template));
  ANCHOR_TRY(ParseUriTemplate(root, "service", origin, c.service_uri_template));
  if (const toml::table* server = root["server"].as_table()) {
    ANCHOR_ASSIGN_OR_RETURN(c.server, ParseServerPolicy(*server, origin));
  }
  if (const toml::table* profiles = root["profiles"].as_table()) {
    for (const auto& [name, node] : *profiles) {
      auto profile = ParseProfile(name.str());
      if (!profile) {
        return profile.error().Prefixed(origin + ": profiles." + std::string(name.str()));
      }
      const toml::table* t = node.as_table();
      if (t == nullptr) {
        return BadKey(origin, "profiles." + std::string(name.str()), "expected a table");
      }
      ANCHOR_ASSIGN_OR_RETURN(c.profiles[*profile],
                              ParsePolicy(*t, c.profiles[*profile], origin,
                                          "profiles." + std::string(name.str()) + "."));
    }
  }
  for (const auto& [profile, policy] : c.profiles) {
    if (policy.require_attestation && profile == Profile::kAdmin) {
      return BadKey(origin, "profiles.admin.require_attestation",
                    "admin certificates are issued by the operator only, never through "
                    "enrollment, so none could be issued; set it on the profiles devices enroll "
                    "with");
    }
    if (policy.require_attestation && c.server.tpm_manufacturer_ca.empty()) {
      return BadKey(origin,
                    "profiles." + std::string(ProfileName(profile)) + ".require_attestation",
                    "needs [server] tpm_manufacturer_ca, the TPM manufacturers' CA certificates "
                    "that endorsement keys are checked against");
    }
  }
  return c;
}

std::string CaConfig::ToToml(std::string_view transport_keys) const {
  std::ostringstream out;
  out << "# anchor.toml: configuration of this CA. Edit the policy here; `anchor sign` and\n"
         "# `anchor serve` read it on start.\n\n"
         "[ca]\n"
      << "name = \"" << name << "\"\n"
      << "# Base URL written into certificates as CRL distribution point ({url}/crl) and\n"
         "# AIA (OCSP {url}/ocsp, caIssuers {url}/intermediate.crt). Empty: none.\n"
      << "public_url = \"" << public_url << "\"\n"
      << "key_type = \"" << crypto::KeyTypeName(key_type) << "\"\n"
      << "crl_days = " << crl_days << "\n\n"
      << "[device]\n"
      << "# The URI SAN of device certificates; {id} is the device id (the CN).\n"
      << "uri_template = \"" << device_uri_template << "\"\n\n"
      << "[service]\n"
      << "# The URI SAN of service certificates (backends that read device data).\n"
      << "uri_template = \"" << service_uri_template << "\"\n\n"
      << "[server]\n"
      << transport_keys
      << "# simplereenroll renews an expired certificate only within this many seconds of expiry.\n"
      << "renewal_grace_seconds = " << server.renewal_grace_seconds << "\n"
      << "# A PEM file of factory CA certificates: a device holding a certificate from one may\n"
      << "# enroll for its own CN without a token. Empty: none.\n"
      << "bootstrap_ca = \"" << server.bootstrap_ca << "\"\n"
      << "bootstrap_profile = \"" << server.bootstrap_profile << "\"\n";
  // The keys of TPM attestation are written only when set, so that the default file stays the
  // one every earlier version wrote (docs/CONFIG.md documents them).
  if (!server.tpm_manufacturer_ca.empty()) {
    out << "# TPM manufacturers' CA certificates: devices may prove their key is in a TPM.\n"
        << "tpm_manufacturer_ca = \"" << server.tpm_manufacturer_ca << "\"\n";
  }
  for (const auto& [profile, p] : profiles) {
    std::vector<std::string> types;
    for (const auto t : p.key_types) {
      types.emplace_back(crypto::KeyTypeName(t));
    }
    out << "\n[profiles." << ProfileName(profile) << "]\n"
        << "default_days = " << p.default_days << "\n"
        << "max_days = " << p.max_days << "\n"
        << "# > 0: certificates live this many minutes unless a request names its days.\n"
        << "default_minutes = " << p.default_minutes << "\n"
        << "# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).\n"
        << "dns_suffixes = " << TomlList(p.dns_suffixes) << "\n"
        << "ip_ranges = " << TomlList(p.ip_ranges) << "\n"
        << "key_types = " << TomlList(types) << "\n"
        << "allow_wildcards = " << (p.allow_wildcards ? "true" : "false") << "\n";
    if (p.require_attestation) {
      out << "# Only for a key shown to be in a TPM ([server] tpm_manufacturer_ca).\n"
          << "require_attestation = true\n";
    }
  }
  return out.str();
}

std::string CaConfig::RoleUri(Profile p, const std::string& id) const {
  if (p != Profile::kDevice && p != Profile::kService) {
    return "";
  }
  std::string uri = p == Profile::kDevice ? device_uri_template : service_uri_template;
  uri.replace(uri.find("{id}"), 4, id);
  return uri;
}

std::optional<Profile> CaConfig::RoleOfUri(std::string_view uri) const {
  // Schemes and URN namespace ids compare case-insensitively (RFC 3986 3.1, RFC 8141 3.1), so
  // "URN:Anchor:service:x" claims the role as surely as the template's own spelling.
  for (const Profile p : {Profile::kDevice, Profile::kService}) {
    const std::string& t = p == Profile::kDevice ? device_uri_template : service_uri_template;
    const size_t id = t.find("{id}");
    const std::string_view prefix = std::string_view(t).substr(0, id);
    const std::string_view suffix = std::string_view(t).substr(id + 4);
    if (uri.size() > prefix.size() + suffix.size() && StartsWithIgnoreCase(uri, prefix) &&
        EndsWithIgnoreCase(uri, suffix)) {
      return p;
    }
  }
  return std::nullopt;
}

std::string CaConfig::CrlUrl(int generation) const {
  return public_url.empty() ? "" : public_url + CrlPath(generation);
}
std::string CaConfig::OcspUrl() const { return public_url.empty() ? "" : public_url + "/ocsp"; }
std::string CaConfig::CaIssuersUrl(int generation) const {
  return public_url.empty() ? "" : public_url + CaIssuersPath(generation);
}

Status ValidatePublicUrl(std::string_view url) {
  const bool scheme = url.starts_with("http://") || url.starts_with("https://");
  const bool clean = url.find_first_of(" \t\r\n\",'") == std::string_view::npos;
  if (!scheme || !clean || url.ends_with("/") || url.size() < 10) {
    return Error(Code::kInvalidArgument,
                 "'" + std::string(url) +
                     "' is not a usable public URL; give e.g. https://ca.example.com:8443 "
                     "(http or https, no trailing slash)");
  }
  return OkStatus();
}

}  // namespace anchor::ca
