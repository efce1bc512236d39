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

// LevelCursor walks a topic or filter level by level ("a//b" has an empty middle level, as in
// MQTT), without copying.
class LevelCursor final {
 public:
  explicit LevelCursor(std::string_view s) : rest_(s) {}
  // Next sets `level` to the next level; false once every level was given.
  bool Next(std::string_view& level) {
    if (done_) {
      return false;
    }
    const size_t slash = rest_.find('/');
    level = rest_.substr(0, slash);
    done_ = slash == std::string_view::npos;
    rest_.remove_prefix(done_ ? rest_.size() : slash + 1);
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

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

Grants AclPolicy::GrantsFor(const ClientIdentity& who) const {
  Grants grants;
  std::string pattern;
  const auto add = [&](const std::vector<std::string>& from, std::vector<std::string>& to) {
    for (const std::string& p : from) {
      if (ExpandCommonName(p, who.common_name, pattern)) {
        to.push_back(pattern);
      }
    }
  };
  for (const AclRule& rule : rules_) {
    if (Selects(rule, who)) {
      add(rule.publish, grants.publish);
      add(rule.subscribe, grants.subscribe);
    }
  }
  return grants;
}

bool Grants::Allows(Access access, std::string_view topic) const {
  if (access == Access::kSubscribe) {
    const std::optional<std::string_view> filter = SubscriptionFilter(topic);
    if (!filter) {
      return false;
    }
    topic = *filter;
  }
  const auto& patterns = access == Access::kPublish ? publish : subscribe;
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return access == Access::kSubscribe ? FilterWithin(topic, pattern)
                                        : TopicMatches(pattern, topic);
  });
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  LevelCursor f(filter), t(topic);
  std::string_view fl, tl;
  while (f.Next(fl)) {
    if (fl == "#") {
      return true;  // "a/#" also matches "a", the parent level
    }
    if (!t.Next(tl) || (fl != "+" && fl != tl)) {
      return false;
    }
  }
  return !t.Next(tl);
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
  LevelCursor p(pattern), f(filter);
  std::string_view pl, fl;
  while (p.Next(pl)) {
    if (pl == "#") {
      return true;
    }
    if (!f.Next(fl)) {
      return false;  // the filter stops above the pattern's levels
    }
    if (fl == "#") {
      return false;  // the filter reaches deeper than the pattern allows
    }
    if (pl != "+" && fl != pl) {
      return false;  // includes a "+" in the filter where the pattern names one level
    }
  }
  return !f.Next(fl);
}

std::optional<std::string_view> SubscriptionFilter(std::string_view filter) {
  //= MQTT 5.0 section 4.8.2 (https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/)
  //# A Shared Subscription's Topic Filter MUST start with $share/ and MUST contain a ShareName
  //# that is at least one character long [MQTT-4.8.2-1]. The ShareName MUST NOT contain the
  //# characters "/", "+" or "#", but MUST be followed by a "/" character. This "/" character
  //# MUST be followed by a Topic Filter [MQTT-4.8.2-2]
  constexpr std::string_view kSharePrefix = "$share/";
  if (filter.substr(0, kSharePrefix.size()) != kSharePrefix) {
    return filter;
  }
  filter.remove_prefix(kSharePrefix.size());
  const size_t slash = filter.find('/');
  if (slash == 0 || slash == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view share_name = filter.substr(0, slash);
  const std::string_view topic_filter = filter.substr(slash + 1);
  if (share_name.find_first_of("+#") != std::string_view::npos || !IsValidFilter(topic_filter)) {
    return std::nullopt;
  }
  return topic_filter;
}

bool IsValidFilter(std::string_view filter) {
  if (filter.empty() || filter.find('\0') != std::string_view::npos) {
    return false;
  }
  LevelCursor levels(filter);
  std::string_view l;
  while (levels.Next(l)) {
    const bool has_hash = l.find('#') != std::string_view::npos;
    std::string_view after;
    if (has_hash && (l != "#" || levels.Next(after))) {
      return false;  // "#" only as the last, whole level
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
