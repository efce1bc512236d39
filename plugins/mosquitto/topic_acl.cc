// SPDX-License-Identifier: Apache-2.0
// File: topic_acl.cc: the rules file, roles and MQTT topic matching.
#include "plugins/mosquitto/topic_acl.h"

#include <algorithm>
#include <utility>

#include "core/file_io.h"
#include "core/toml_fields.h"

namespace anchor::mqtt {
namespace {

using toml_fields::BadKey;
using toml_fields::CheckKnownKeys;
using toml_fields::Scalar;
using toml_fields::StringList;

constexpr std::string_view kCnPlaceholder = "{cn}";

// Levels splits a topic or filter at "/"; "a//b" has an empty middle level, as in MQTT.
std::vector<std::string_view> Levels(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

Result<std::vector<std::string>> Patterns(const toml::table& rule, std::string_view key,
                                          const std::string& origin, const std::string& where) {
  const std::string name = where + std::string(key);
  ANCHOR_ASSIGN_OR_RETURN(std::vector<std::string> patterns,
                          StringList(toml::node_view<const toml::node>(rule)[key], origin, name));
  for (const std::string& p : patterns) {
    std::string probe;  // validate the shape with a harmless CN in place of {cn}
    if (!ExpandCommonName(p, "x", probe) || !IsValidFilter(probe)) {
      return BadKey(origin, name,
                    "'" + p +
                        "' is not an MQTT topic filter ('+' and '#' only as whole levels, "
                        "'#' last)");
    }
  }
  return patterns;
}

Result<std::vector<Role>> ParseRoles(const toml::table& root, const std::string& origin) {
  std::vector<Role> roles;
  const toml::table* table = root["roles"].as_table();
  if (table == nullptr) {
    return AclPolicy::Default().roles();
  }
  for (const auto& [name, value] : *table) {
    const auto uri = value.value<std::string>();
    const std::string key = "roles." + std::string(name.str());
    if (!uri || uri->find(kCnPlaceholder) == std::string::npos) {
      return BadKey(origin, key,
                    "must be a URI template holding {cn}, e.g. urn:anchor:device:{cn}");
    }
    roles.push_back(Role{std::string(name.str()), *uri});
  }
  return roles;
}

Result<AclRule> ParseRule(const toml::table& t, const std::vector<Role>& roles,
                          const std::string& origin, const std::string& where) {
  ANCHOR_TRY(CheckKnownKeys(t, {"role", "cn", "publish", "subscribe"}, origin, where));
  const toml::node_view<const toml::node> v(t);
  AclRule rule;
  ANCHOR_ASSIGN_OR_RETURN(rule.role, Scalar<std::string>(v["role"], "", origin, where + "role"));
  ANCHOR_ASSIGN_OR_RETURN(rule.common_name, Scalar<std::string>(v["cn"], "", origin, where + "cn"));
  if (rule.role.empty() && rule.common_name.empty()) {
    return BadKey(origin, where.substr(0, where.size() - 1),
                  "selects nobody; give role = \"...\" or cn = \"...\"");
  }
  const bool known_role =
      rule.role.empty() ||
      std::any_of(roles.begin(), roles.end(), [&](const Role& r) { return r.name == rule.role; });
  if (!known_role) {
    return BadKey(origin, where + "role", "'" + rule.role + "' is not defined under [roles]");
  }
  ANCHOR_ASSIGN_OR_RETURN(rule.publish, Patterns(t, "publish", origin, where));
  ANCHOR_ASSIGN_OR_RETURN(rule.subscribe, Patterns(t, "subscribe", origin, where));
  return rule;
}

bool Selects(const AclRule& rule, const ClientIdentity& who) {
  if (!rule.common_name.empty() && rule.common_name != who.common_name) {
    return false;
  }
  return rule.role.empty() ||
         std::find(who.roles.begin(), who.roles.end(), rule.role) != who.roles.end();
}

}  // namespace

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublish:
      return "publish";
    case Access::kSubscribe:
      return "subscribe";
    case Access::kReceive:
      return "receive";
  }
  return "unknown";
}

Result<AclPolicy> AclPolicy::Parse(std::string_view text, const std::string& origin) {
  ANCHOR_ASSIGN_OR_RETURN(toml::table root, toml_fields::ParseToml(text, origin));
  ANCHOR_TRY(CheckKnownKeys(root, {"roles", "allow"}, origin, ""));
  AclPolicy policy;
  ANCHOR_ASSIGN_OR_RETURN(policy.roles_, ParseRoles(root, origin));
  const toml::node_view<const toml::node> allow = std::as_const(root)["allow"];
  if (allow && !allow.is_array_of_tables()) {
    return BadKey(origin, "allow", "write each rule as an [[allow]] table");
  }
  if (const toml::array* rules = allow.as_array()) {
    for (size_t i = 0; i < rules->size(); ++i) {
      const std::string where = "allow[" + std::to_string(i + 1) + "].";
      ANCHOR_ASSIGN_OR_RETURN(AclRule rule,
                              ParseRule(*rules->get(i)->as_table(), policy.roles_, origin, where));
      policy.rules_.push_back(std::move(rule));
    }
  }
  return policy;
}

Result<AclPolicy> AclPolicy::Load(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(text, path);
}

AclPolicy AclPolicy::Default() {
  AclPolicy p;
  p.roles_ = {{"device", "urn:anchor:device:{cn}"}, {"service", "urn:anchor:service:{cn}"}};
  p.rules_ = {{"device", "", {"devices/{cn}/#"}, {"commands/{cn}/#"}},
              {"service", "", {"commands/+/#"}, {"devices/+/telemetry"}}};
  return p;
}

std::vector<std::string> AclPolicy::RolesOf(std::string_view common_name,
                                            const std::vector<std::string>& uris) const {
  std::vector<std::string> out;
  for (const Role& role : roles_) {
    std::string expected;
    if (ExpandCommonName(role.uri_template, common_name, expected) &&
        std::find(uris.begin(), uris.end(), expected) != uris.end()) {
      out.push_back(role.name);
    }
  }
  return out;
}

bool AclPolicy::Allows(const ClientIdentity& who, Access access, std::string_view topic) const {
  std::string pattern;
  for (const AclRule& rule : rules_) {
    if (!Selects(rule, who)) {
      continue;
    }
    const auto& patterns = access == Access::kPublish ? rule.publish : rule.subscribe;
    for (const std::string& p : patterns) {
      if (!ExpandCommonName(p, who.common_name, pattern)) {
        continue;
      }
      const bool ok = access == Access::kSubscribe ? FilterWithin(topic, pattern)
                                                   : TopicMatches(pattern, topic);
      if (ok) {
        return true;
      }
    }
  }
  return false;
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  const auto f = Levels(filter);
  const auto t = Levels(topic);
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") {
      return true;  // "a/#" also matches "a", the parent level
    }
    if (i >= t.size()) {
      return false;
    }
    if (f[i] != "+" && f[i] != t[i]) {
      return false;
    }
  }
  return f.size() == t.size();
}

bool FilterWithin(std::string_view filter, std::string_view pattern) {
  if (!IsValidFilter(filter)) {
    return false;
  }
  const bool filter_wild_first = filter[0] == '+' || filter[0] == '#';
  const bool pattern_wild_first = !pattern.empty() && (pattern[0] == '+' || pattern[0] == '#');
  if (filter_wild_first && !pattern_wild_first) {
    return false;  // the filter would reach levels the pattern names literally
  }
  if (filter[0] == '$' && pattern_wild_first) {
    return false;  // a pattern starting with a wildcard matches no "$" topic
  }
  const auto f = Levels(filter);
  const auto p = Levels(pattern);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "#") {
      return true;
    }
    if (i >= f.size()) {
      return false;  // the filter stops above the pattern's levels
    }
    if (f[i] == "#") {
      return false;  // the filter reaches deeper than the pattern allows
    }
    if (p[i] == "+") {
      continue;  // a literal or "+" in the filter stays within one level
    }
    if (f[i] != p[i]) {
      return false;  // includes a "+" in the filter where the pattern names one level
    }
  }
  return f.size() == p.size();
}

bool IsValidFilter(std::string_view filter) {
  if (filter.empty() || filter.find('\0') != std::string_view::npos) {
    return false;
  }
  const auto levels = Levels(filter);
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::string_view l = levels[i];
    if (l.find('#') != std::string_view::npos && (l != "#" || i + 1 != levels.size())) {
      return false;
    }
    if (l.find('+') != std::string_view::npos && l != "+") {
      return false;
    }
  }
  return true;
}

bool ExpandCommonName(std::string_view pattern, std::string_view common_name, std::string& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    const size_t at = pattern.find(kCnPlaceholder, start);
    if (at == std::string_view::npos) {
      out.append(pattern.substr(start));
      return true;
    }
    if (common_name.empty() ||
        common_name.find_first_of(std::string_view("/+#\0", 4)) != std::string_view::npos) {
      return false;
    }
    out.append(pattern.substr(start, at - start)).append(common_name);
    start = at + kCnPlaceholder.size();
  }
}

}  // namespace anchor::mqtt
