// SPDX-License-Identifier: Apache-2.0
// Client id ownership and sessions that outlive their connection, as the broker plugin tracks
// them; the same behaviour against Mosquitto runs in tests/integration/mqtt_sessions_test.sh.
#include "plugins/mosquitto/session_registry.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

ClientIdentity Who(const std::string& cn, const std::string& serial) {
  return ClientIdentity{cn, serial, {"device"}, {"urn:anchor:device:" + cn}};
}

Grants Own(const std::string& cn) {
  return Grants{{"devices/" + cn + "/#"}, {"commands/" + cn + "/#"}};
}

struct RuleCase {
  const char* name;
  ClientIdRule rule;
  const char* client_id;  // used by a certificate whose CN is "pump-1"
  bool allowed;
};

constexpr RuleCase kRuleCases[] = {
    {"ok/owned-any-id", ClientIdRule::kOwned, "sensor-17", true},
    {"ok/owned-cn", ClientIdRule::kOwned, "pump-1", true},
    {"ok/cn", ClientIdRule::kCommonName, "pump-1", true},
    {"fail/cn-other", ClientIdRule::kCommonName, "sensor-17", false},
    {"fail/cn-longer", ClientIdRule::kCommonName, "pump-1:ota", false},
    {"fail/cn-auto-id", ClientIdRule::kCommonName, "auto-6F0D", false},
    {"ok/cn-prefix-cn", ClientIdRule::kCommonNamePrefix, "pump-1", true},
    {"ok/cn-prefix-suffix", ClientIdRule::kCommonNamePrefix, "pump-1:ota", true},
    {"fail/cn-prefix-empty-suffix", ClientIdRule::kCommonNamePrefix, "pump-1:", false},
    {"fail/cn-prefix-another-cn", ClientIdRule::kCommonNamePrefix, "pump-10", false},
    {"fail/cn-prefix-dash", ClientIdRule::kCommonNamePrefix, "pump-1-ota", false},
    {"fail/cn-prefix-inside", ClientIdRule::kCommonNamePrefix, "x:pump-1", false},
};

class ClientIdRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ClientIdRuleTest, DecidesTheIdsACertificateMayUse) {
  const RuleCase& c = GetParam();
  const SessionRegistry registry(c.rule);
  const Status st = registry.MayConnect(c.client_id, Who("pump-1", "01"));
  if (c.allowed) {
    EXPECT_THAT(st, IsOk());
  } else {
    EXPECT_THAT(st, ErrorIs(Code::kPermissionDenied));
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, ClientIdRuleTest, ::testing::ValuesIn(kRuleCases),
                         [](const auto& info) {
                           return anchor::testing::SanitizeTestName(info.param.name);
                         });

TEST(ClientIdRuleTest, ParsesItsNames) {
  EXPECT_EQ(ParseClientIdRule("owned"), ClientIdRule::kOwned);
  EXPECT_EQ(ParseClientIdRule("cn"), ClientIdRule::kCommonName);
  EXPECT_EQ(ParseClientIdRule("cn-prefix"), ClientIdRule::kCommonNamePrefix);
  EXPECT_EQ(ParseClientIdRule("CN"), std::nullopt);
  EXPECT_EQ(ParseClientIdRule(""), std::nullopt);
}

TEST(SessionRegistryTest, AClientIdBelongsToTheIdentityThatMadeIt) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int a = 0;
  ASSERT_THAT(registry.MayConnect("sensor-17", Who("dev-a", "0a")), IsOk());
  registry.Connected(&a, "sensor-17", Who("dev-a", "0a"), Own("dev-a"), true);

  // Another identity may not take it over, connected or not.
  const Status st = registry.MayConnect("sensor-17", Who("dev-b", "0b"));
  ASSERT_THAT(st, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(st.error().message().find("belongs to 'dev-a'"), std::string::npos);
  registry.Disconnected(&a);
  EXPECT_THAT(registry.MayConnect("sensor-17", Who("dev-b", "0b")),
              ErrorIs(Code::kPermissionDenied));

  // The same identity with a renewed certificate may.
  EXPECT_THAT(registry.MayConnect("sensor-17", Who("dev-a", "0c")), IsOk());
}

TEST(SessionRegistryTest, AnIdThatNamesAnIdentityIsAlwaysItsOwn) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int squatter = 0;
  registry.Connected(&squatter, "dev-a", Who("dev-b", "0b"), Own("dev-b"), true);
  EXPECT_THAT(registry.MayConnect("dev-a", Who("dev-a", "0a")), IsOk());
  EXPECT_THAT(registry.MayConnect("dev-a", Who("dev-c", "0c")), ErrorIs(Code::kPermissionDenied));
}

TEST(SessionRegistryTest, AnOfflineSessionIsDecidedByItsOwner) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int a = 0;
  registry.Connected(&a, "a-persist", Who("dev-a", "0a"), Own("dev-a"), true);
  ASSERT_NE(registry.Find(&a), nullptr);
  EXPECT_TRUE(registry.Disconnected(&a).empty());
  EXPECT_EQ(registry.Find(&a), nullptr);
  registry.ForgetEnded();
  const Session* s = registry.FindSession("a-persist");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->connection, nullptr);
  EXPECT_EQ(s->owner->who.common_name, "dev-a");
  EXPECT_TRUE(s->owner->grants.Allows(Access::kReceive, "commands/dev-a/reboot"));
  EXPECT_EQ(registry.FindSession("never-seen"), nullptr);
}

TEST(SessionRegistryTest, ACleanSessionEndsWithItsConnectionAfterItsWill) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int a = 0;
  registry.Connected(&a, "tmp", Who("dev-a", "0a"), Own("dev-a"), false);
  registry.Disconnected(&a);
  // The broker checks the will right after the disconnection: the owner is still known.
  ASSERT_NE(registry.FindSession("tmp"), nullptr);
  EXPECT_THAT(registry.MayConnect("tmp", Who("dev-b", "0b")), IsOk());  // the session is gone
  registry.ForgetEnded();
  EXPECT_EQ(registry.FindSession("tmp"), nullptr);
  EXPECT_TRUE(registry.Saved().empty());
  EXPECT_FALSE(registry.TakeChanged());  // nothing for the state file to write
}

TEST(SessionRegistryTest, ATakenOverConnectionKeepsItsOwnIdentityUntilItCloses) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int old_conn = 0, new_conn = 0;
  registry.Connected(&old_conn, "dev-a", Who("dev-a", "01d"), Own("dev-a"), true);
  // The device renewed its certificate and reconnects: the broker admits the new connection
  // first, then closes the old one (whose will it may check in between).
  registry.Connected(&new_conn, "dev-a", Who("dev-a", "2ee"), Own("dev-a"), true);
  EXPECT_EQ(registry.Find(&old_conn)->who.serial, "01d");
  EXPECT_EQ(registry.FindSession("dev-a")->owner->who.serial, "2ee");
  registry.Disconnected(&old_conn);
  EXPECT_EQ(registry.FindSession("dev-a")->connection, &new_conn);  // still connected
  EXPECT_EQ(registry.ConnectionsHolding("01d").size(), 0u);
  ASSERT_EQ(registry.ConnectionsHolding("2ee").size(), 1u);
  EXPECT_EQ(registry.ConnectionsHolding("2ee")[0]->client_id, "dev-a");
}

TEST(SessionRegistryTest, OneIdentityCannotMakeItRememberWithoutBound) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int a = 0;
  const size_t max = SessionRegistry::kMaxOfflineSessionsPerIdentity;
  std::vector<std::string> forgotten;
  for (size_t i = 0; i < max + 3; ++i) {
    registry.Connected(&a, "id-" + std::to_string(i), Who("dev-a", "0a"), Own("dev-a"), true);
    for (std::string& id : registry.Disconnected(&a)) {
      forgotten.push_back(std::move(id));
    }
  }
  EXPECT_EQ(registry.size(), max);
  EXPECT_EQ(forgotten, (std::vector<std::string>{"id-0", "id-1", "id-2"}));  // oldest first
  EXPECT_NE(registry.FindSession("id-" + std::to_string(max + 2)), nullptr);
}

TEST(SessionRegistryTest, SavedSessionsComeBackOffline) {
  SessionRegistry registry(ClientIdRule::kOwned);
  int a = 0, b = 0;
  registry.Connected(&a, "a-persist", Who("dev-a", "0a"), Own("dev-a"), true);
  registry.Connected(&b, "b-clean", Who("dev-b", "0b"), Own("dev-b"), false);
  EXPECT_TRUE(registry.TakeChanged());
  EXPECT_FALSE(registry.TakeChanged());
  const std::vector<SavedSession> saved = registry.Saved();
  ASSERT_EQ(saved.size(), 1u);  // a clean session does not outlive the broker's process
  EXPECT_EQ(saved[0].client_id, "a-persist");

  SessionRegistry restarted(ClientIdRule::kOwned);
  restarted.Restore(saved, [](const ClientIdentity& who) { return Own(who.common_name); });
  const Session* s = restarted.FindSession("a-persist");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->owner->who.serial, "0a");
  EXPECT_TRUE(s->owner->grants.Allows(Access::kReceive, "commands/dev-a/x"));
  EXPECT_THAT(restarted.MayConnect("a-persist", Who("dev-b", "0b")),
              ErrorIs(Code::kPermissionDenied));
}

}  // namespace
}  // namespace anchor::mqtt
