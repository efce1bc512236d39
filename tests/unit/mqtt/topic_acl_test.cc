// SPDX-License-Identifier: Apache-2.0
#include "plugins/mosquitto/topic_acl.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

struct MatchCase {
  const char* name;
  const char* filter;
  const char* topic;
  bool matches;
};

// The examples of MQTT 3.1.1 section 4.7.1, and the "$" rule of 4.7.2.
constexpr MatchCase kMatchCases[] = {
    {"ok/exact", "devices/a/telemetry", "devices/a/telemetry", true},
    {"ok/hash-below", "sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"ok/hash-matches-parent", "sport/tennis/player1/#", "sport/tennis/player1", true},
    {"ok/plus-one-level", "sport/tennis/+", "sport/tennis/player1", true},
    {"ok/plus-empty-level", "sport/+", "sport/", true},
    {"ok/hash-alone", "#", "a/b/c", true},
    {"ok/dollar-literal", "$SYS/#", "$SYS/broker/load", true},
    {"fail/plus-not-two-levels", "sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"fail/plus-not-parent", "sport/+", "sport", false},
    {"fail/other-literal", "devices/a/telemetry", "devices/b/telemetry", false},
    {"fail/shorter-topic", "devices/a/telemetry", "devices/a", false},
    {"fail/hash-no-dollar", "#", "$SYS/broker/load", false},
    {"fail/plus-no-dollar", "+/monitor/Clients", "$SYS/monitor/Clients", false},
};

class TopicMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(TopicMatchTest, MatchesAsMqttSays) {
  const MatchCase& c = GetParam();
  EXPECT_EQ(TopicMatches(c.filter, c.topic), c.matches) << c.filter << " vs " << c.topic;
}

std::string CaseName(const char* name) {
  std::string n = name;
  for (char& ch : n) {
    ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Mqtt, TopicMatchTest, ::testing::ValuesIn(kMatchCases),
                         [](const auto& info) { return CaseName(info.param.name); });

struct WithinCase {
  const char* name;
  const char* filter;
  const char* pattern;
  bool within;
};

constexpr WithinCase kWithinCases[] = {
    {"ok/same", "devices/+/telemetry", "devices/+/telemetry", true},
    {"ok/narrower-literal", "devices/a/telemetry", "devices/+/telemetry", true},
    {"ok/under-hash", "commands/a/reboot/#", "commands/a/#", true},
    {"ok/parent-of-hash", "commands/a", "commands/a/#", true},
    {"ok/plus-under-hash", "commands/a/+", "commands/a/#", true},
    {"fail/wider-hash", "devices/#", "devices/+/telemetry", false},
    {"fail/plus-where-literal", "devices/+", "devices/a/#", false},
    {"fail/longer", "devices/a/telemetry/x", "devices/+/telemetry", false},
    {"fail/shorter", "devices/a", "devices/+/telemetry", false},
    {"fail/other-device", "commands/b/#", "commands/a/#", false},
    {"fail/wildcard-first-vs-literal", "+/a/#", "commands/a/#", false},
    {"fail/dollar-under-hash", "$SYS/#", "#", false},
    {"fail/invalid-filter", "commands/a/#/x", "#", false},
};

class FilterWithinTest : public ::testing::TestWithParam<WithinCase> {};

TEST_P(FilterWithinTest, ASubscriptionGetsNothingThePatternForbids) {
  const WithinCase& c = GetParam();
  EXPECT_EQ(FilterWithin(c.filter, c.pattern), c.within) << c.filter << " within " << c.pattern;
}

INSTANTIATE_TEST_SUITE_P(Mqtt, FilterWithinTest, ::testing::ValuesIn(kWithinCases),
                         [](const auto& info) { return CaseName(info.param.name); });

struct ShareCase {
  const char* name;
  const char* subscribe;  // the filter of a SUBSCRIBE
  const char* filter;     // what it subscribes to; null when malformed
};

// MQTT 5 section 4.8.2: "$share/{ShareName}/{filter}"; the share name is not part of the filter.
constexpr ShareCase kShareCases[] = {
    {"ok/not-shared", "devices/+/telemetry", "devices/+/telemetry"},
    {"ok/shared", "$share/workers/devices/+/telemetry", "devices/+/telemetry"},
    {"ok/shared-hash", "$share/g/#", "#"},
    {"ok/dollar-not-share", "$SYS/broker/load", "$SYS/broker/load"},
    {"ok/shared-dollar-filter", "$share/g/$SYS/#", "$SYS/#"},
    {"fail/no-share-name", "$share//devices/+/telemetry", nullptr},
    {"fail/no-filter", "$share/workers", nullptr},
    {"fail/empty-filter", "$share/workers/", nullptr},
    {"fail/plus-in-share-name", "$share/w+/devices/a", nullptr},
    {"fail/hash-in-share-name", "$share/#/devices/a", nullptr},
    {"fail/bad-filter-after", "$share/g/devices/a#", nullptr},
};

class SharedSubscriptionTest : public ::testing::TestWithParam<ShareCase> {};

TEST_P(SharedSubscriptionTest, FilterIsWhatFollowsTheShareName) {
  const ShareCase& c = GetParam();
  const std::optional<std::string_view> filter = SubscriptionFilter(c.subscribe);
  if (c.filter == nullptr) {
    EXPECT_FALSE(filter.has_value()) << *filter;
  } else {
    ASSERT_TRUE(filter.has_value());
    EXPECT_EQ(*filter, c.filter);
  }
}

INSTANTIATE_TEST_SUITE_P(Mqtt5, SharedSubscriptionTest, ::testing::ValuesIn(kShareCases),
                         [](const auto& info) { return CaseName(info.param.name); });

TEST(TopicAclTest, ASharedSubscriptionIsGrantedByItsFilterAlone) {
  const AclPolicy policy = AclPolicy::Default();
  const ClientIdentity svc{"svc-1", "01", {"service"}, {}};
  const Grants grants = policy.GrantsFor(svc);
  EXPECT_TRUE(grants.Allows(Access::kSubscribe, "$share/workers/devices/+/telemetry"));
  EXPECT_TRUE(grants.Allows(Access::kSubscribe, "$share/workers/devices/pump-1/telemetry"));
  // The group name grants nothing: the filter after it must lie within the grants.
  EXPECT_FALSE(grants.Allows(Access::kSubscribe, "$share/workers/devices/#"));
  EXPECT_FALSE(grants.Allows(Access::kSubscribe, "$share/devices/+/telemetry"));
  EXPECT_FALSE(grants.Allows(Access::kSubscribe, "$share/devices/+/telemetry/#"));
  EXPECT_FALSE(grants.Allows(Access::kSubscribe, "$share//devices/+/telemetry"));
  // A topic named like a shared subscription is only a topic for a publish.
  EXPECT_FALSE(grants.Allows(Access::kPublish, "$share/g/commands/pump-1/reboot"));
  EXPECT_TRUE(grants.Allows(Access::kPublish, "commands/pump-1/reboot"));
}

TEST(TopicAclTest, FilterSyntax) {
  EXPECT_TRUE(IsValidFilter("a/+/b/#"));
  EXPECT_TRUE(IsValidFilter("#"));
  EXPECT_FALSE(IsValidFilter(""));
  EXPECT_FALSE(IsValidFilter("a/#/b"));
  EXPECT_FALSE(IsValidFilter("a/b#"));
  EXPECT_FALSE(IsValidFilter("a+/b"));
}

TEST(TopicAclTest, ACommonNameCannotWidenAPattern) {
  std::string out;
  EXPECT_TRUE(ExpandCommonName("devices/{cn}/#", "pump-1", out));
  EXPECT_EQ(out, "devices/pump-1/#");
  EXPECT_FALSE(ExpandCommonName("devices/{cn}/#", "a/b", out));
  EXPECT_FALSE(ExpandCommonName("devices/{cn}/#", "+", out));
  EXPECT_FALSE(ExpandCommonName("devices/{cn}/#", "#", out));
  EXPECT_FALSE(ExpandCommonName("devices/{cn}/#", "", out));
  EXPECT_TRUE(ExpandCommonName("status", "a/b", out));  // no {cn}: nothing to widen
}

ClientIdentity Device(const std::string& cn) { return {cn, "01", {"device"}}; }
ClientIdentity Service(const std::string& cn) { return {cn, "02", {"service"}}; }

TEST(TopicAclTest, DefaultPolicyKeepsDevicesToTheirOwnTopics) {
  const AclPolicy p = AclPolicy::Default();
  EXPECT_TRUE(p.Allows(Device("a"), Access::kPublish, "devices/a/telemetry"));
  EXPECT_FALSE(p.Allows(Device("a"), Access::kPublish, "devices/b/telemetry"));
  EXPECT_TRUE(p.Allows(Device("a"), Access::kSubscribe, "commands/a/#"));
  EXPECT_FALSE(p.Allows(Device("a"), Access::kSubscribe, "commands/#"));
  EXPECT_FALSE(p.Allows(Device("a"), Access::kSubscribe, "devices/+/telemetry"));
  EXPECT_TRUE(p.Allows(Device("a"), Access::kReceive, "commands/a/reboot"));
  EXPECT_FALSE(p.Allows(Device("a"), Access::kReceive, "commands/b/reboot"));
  EXPECT_TRUE(p.Allows(Service("s"), Access::kSubscribe, "devices/+/telemetry"));
  EXPECT_TRUE(p.Allows(Service("s"), Access::kReceive, "devices/a/telemetry"));
  EXPECT_FALSE(p.Allows(Service("s"), Access::kSubscribe, "devices/#"));
  EXPECT_TRUE(p.Allows(Service("s"), Access::kPublish, "commands/a/reboot"));
  const ClientIdentity nobody{"c", "03", {}};
  EXPECT_FALSE(p.Allows(nobody, Access::kPublish, "devices/c/telemetry"));
}

TEST(TopicAclTest, RolesComeFromTheUriThatNamesTheCn) {
  const AclPolicy p = AclPolicy::Default();
  EXPECT_EQ(p.RolesOf("a", {"urn:anchor:device:a"}), std::vector<std::string>{"device"});
  EXPECT_TRUE(p.RolesOf("a", {"urn:anchor:device:b"}).empty());  // another device's URI
  EXPECT_TRUE(p.RolesOf("a", {}).empty());
}

TEST(TopicAclTest, ParsesRulesWithRolesAndNames) {
  const auto p = AclPolicy::Parse(R"(
[roles]
device = "urn:anchor:device:{cn}"
[[allow]]
role = "device"
publish = ["devices/{cn}/#"]
[[allow]]
cn = "client_b"
subscribe = ["devices/client_a/#"]
)",
                                  "acl.toml");
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(p->Allows({"client_b", "1", {}}, Access::kSubscribe, "devices/client_a/telemetry"));
  EXPECT_FALSE(p->Allows({"client_c", "1", {}}, Access::kSubscribe, "devices/client_a/telemetry"));
  EXPECT_TRUE(p->Allows(Device("x"), Access::kPublish, "devices/x/t"));
  EXPECT_FALSE(p->Allows(Device("x"), Access::kSubscribe, "devices/x/t"));
}

struct BadRulesCase {
  const char* name;
  const char* toml;
  const char* names;  // what the error must mention
};

constexpr BadRulesCase kBadRules[] = {
    {"fail/unknown-key", "[[allow]]\nrole = \"device\"\npublsh = [\"a\"]\n", "allow[1].publsh"},
    {"fail/selects-nobody", "[[allow]]\npublish = [\"a\"]\n", "allow[1]"},
    {"fail/undefined-role", "[[allow]]\nrole = \"robot\"\n", "robot"},
    {"fail/bad-filter", "[[allow]]\ncn = \"a\"\nsubscribe = [\"a/#/b\"]\n", "a/#/b"},
    {"fail/role-without-cn", "[roles]\ndevice = \"urn:x\"\n", "roles.device"},
    {"fail/allow-not-tables", "allow = 3\n", "allow"},
    {"fail/not-toml", "[[allow\n", "acl.toml:"},
};

class BadRulesTest : public ::testing::TestWithParam<BadRulesCase> {};

TEST_P(BadRulesTest, NamesWhatIsWrong) {
  const auto p = AclPolicy::Parse(GetParam().toml, "acl.toml");
  ASSERT_THAT(p, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(p.error().message().find(GetParam().names), std::string::npos) << p.error().message();
}

INSTANTIATE_TEST_SUITE_P(Rules, BadRulesTest, ::testing::ValuesIn(kBadRules),
                         [](const auto& info) { return CaseName(info.param.name); });

}  // namespace
}  // namespace anchor::mqtt
