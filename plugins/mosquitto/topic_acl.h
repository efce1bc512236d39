// SPDX-License-Identifier: Apache-2.0
// File: topic_acl.h: who may publish and subscribe where, by the identity in a client
// certificate: roles from URI SANs, rules with {cn} patterns, MQTT topic and filter matching.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor::mqtt {

// Access is what a client asks to do with a topic.
enum class Access {
  kPublish,    // send a PUBLISH to this topic
  kSubscribe,  // SUBSCRIBE with this filter (it may hold wildcards)
  kReceive,    // be delivered a message published to this topic
};

std::string_view AccessName(Access access);

// ClientIdentity is who a connected client is, as its certificate says.
struct ClientIdentity {
  std::string common_name;
  std::string serial;              // lower-case hex, as the CA's revocation feed has it
  std::vector<std::string> roles;  // roles whose URI SAN the certificate carries
  std::vector<std::string> uris;   // the certificate's URI SANs, to find its roles again
};

// Grants are what one client may do: the patterns of every rule that selects it, with {cn}
// expanded. They are worked out once per connection (and again when the rules are reloaded),
// so a check on each publish and each delivery is matching only, without allocating.
struct Grants {
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;  // also what the client may receive

  // Allows tells whether `access` on `topic` (a filter for kSubscribe, perhaps a shared
  // subscription's) is granted.
  bool Allows(Access access, std::string_view topic) const;
};

// Role names a kind of client, recognised by a URI SAN: `uri_template` with "{cn}" replaced by
// the certificate's CN (anchor's device profile issues "urn:anchor:device:<CN>").
struct Role {
  std::string name;
  std::string uri_template;
};

// AclRule grants topics to the clients it selects: those holding `role` (when set) and named
// `common_name` (when set). "{cn}" in a pattern stands for the client's CN.
struct AclRule {
  std::string role;
  std::string common_name;
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;  // also what the client may receive
};

// AclPolicy decides every ACL check; anything no rule allows is denied.
class AclPolicy final {
 public:
  // Parse reads the TOML rules file (see docs and plugins/mosquitto/anchor-acl.example.toml):
  //   [roles] device = "urn:anchor:device:{cn}"
  //   [[allow]] role = "device"  publish = ["devices/{cn}/#"]  subscribe = ["commands/{cn}/#"]
  // Unknown keys, a rule selecting nobody, a rule naming an undefined role and patterns that are
  // not valid MQTT filters are kInvalidArgument naming `origin` and the key.
  static Result<AclPolicy> Parse(std::string_view toml, const std::string& origin);
  // Load parses the file at `path`.
  static Result<AclPolicy> Load(const std::string& path);
  // Default is the policy used without a rules file: roles device and service, devices publish
  // under devices/{cn}/# and subscribe to commands/{cn}/#, services subscribe to
  // devices/+/telemetry and publish under commands/+/#.
  static AclPolicy Default();

  // RolesOf returns the names of the roles whose URI, for `common_name`, is among `uris`.
  std::vector<std::string> RolesOf(std::string_view common_name,
                                   const std::vector<std::string>& uris) const;
  // GrantsFor collects what `who` may do under these rules.
  Grants GrantsFor(const ClientIdentity& who) const;
  // Allows is GrantsFor(who).Allows(access, topic), for a single check.
  bool Allows(const ClientIdentity& who, Access access, std::string_view topic) const {
    return GrantsFor(who).Allows(access, topic);
  }

  const std::vector<Role>& roles() const { return roles_; }
  const std::vector<AclRule>& rules() const { return rules_; }

 private:
  std::vector<Role> roles_;
  std::vector<AclRule> rules_;
};

// TopicMatches is MQTT matching (MQTT 3.1.1 section 4.7) of a concrete `topic` by `filter`:
// "+" is one level, a final "#" the parent and any levels below, and a topic starting with "$"
// is not matched by a filter starting with a wildcard.
bool TopicMatches(std::string_view filter, std::string_view topic);

// FilterWithin tells whether every topic that `filter` matches is also matched by `pattern`,
// so that a subscription to `filter` receives nothing `pattern` does not allow.
bool FilterWithin(std::string_view filter, std::string_view pattern);

// SubscriptionFilter returns the topic filter that a SUBSCRIBE's `filter` subscribes to: the
// filter itself, or for a shared subscription "$share/{ShareName}/{filter}" the part after the
// share name, which alone says what the subscriber receives (the share name only groups
// subscribers). A "$share/" filter without a valid share name and filter returns nullopt.
std::optional<std::string_view> SubscriptionFilter(std::string_view filter);

// IsValidFilter checks MQTT filter syntax: "#" only as the last whole level, "+" only as a
// whole level, no NUL, not empty.
bool IsValidFilter(std::string_view filter);

// ExpandCommonName replaces every "{cn}" in `pattern` with `common_name`. A CN holding "/",
// "+", "#" or NUL would change the pattern's structure, so with such a CN it returns false and
// the rule grants nothing.
bool ExpandCommonName(std::string_view pattern, std::string_view common_name, std::string& out);

}  // namespace anchor::mqtt
