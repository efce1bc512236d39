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

// Connects `who` with `client_id` as the broker would (MayConnect must allow it), then leaves:
// a persistent session stays offline, a clean one ends.
void Visit(SessionRegistry& registry, const std::string& client_id, const ClientIdentity& who,
           bool persistent) {
  ASSERT_THAT(registry.MayConnect(client_id, who), IsOk()) << who.common_name << " " << client_id;
  int handle = 0;
  registry.Connected(&handle, client_id, who, Own(who.common_name), persistent);
  registry.Disconnected(&handle);
  registry.ForgetEnded();
}

// RefusedFor expects `who` refused `client_id` as belonging to `owner`.
void RefusedFor(const SessionRegistry& registry, const std::string& client_id,
                const ClientIdentity& who, const std::string& owner) {
  const Status st = registry.MayConnect(client_id, who);
  ASSERT_THAT(st, ErrorIs(Code::kPermissionDenied)) << who.common_name << " " << client_id;
  EXPECT_NE(st.error().message().find("belongs to '" + owner + "'"), std::string::npos)
      << st.error().message();
}

TEST(SessionRegistryTest, AnIdThatNamesAnAdmittedCnIsThatCnsWithoutASessionToo) {
  SessionRegistry registry(ClientIdRule::kOwned);
  Visit(registry, "tmp", Who("dev-a", "0a"), /*persistent=*/false);  // no session left
  ASSERT_EQ(registry.size(), 0u);
  EXPECT_TRUE(registry.Knows("dev-a"));
  RefusedFor(registry, "dev-a", Who("dev-b", "0b"), "dev-a");
  RefusedFor(registry, "dev-a:ota", Who("dev-b", "0b"), "dev-a");
  RefusedFor(registry, "dev-a:", Who("dev-b", "0b"), "dev-a");
  RefusedFor(registry, "dev-a:x:y", Who("dev-b", "0b"), "dev-a");
  // Ids that do not name dev-a stay free; dev-a itself (renewed or not) uses its own.
  EXPECT_THAT(registry.MayConnect("dev-ab", Who("dev-b", "0b")), IsOk());
  EXPECT_THAT(registry.MayConnect("dev-a-ota", Who("dev-b", "0b")), IsOk());
  EXPECT_THAT(registry.MayConnect("x:dev-a", Who("dev-b", "0b")), IsOk());
  EXPECT_THAT(registry.MayConnect(":", Who("dev-b", "0b")), IsOk());
  EXPECT_THAT(registry.MayConnect("dev-a", Who("dev-a", "0c")), IsOk());
  EXPECT_THAT(registry.MayConnect("dev-a:ota", Who("dev-a", "0c")), IsOk());
}

TEST(SessionRegistryTest, ACnNotYetAdmittedReclaimsItsIdFromWhoeverTookIt) {
  SessionRegistry registry(ClientIdRule::kOwned);
  Visit(registry, "dev-z", Who("dev-b", "0b"), /*persistent=*/true);  // dev-z never seen yet
  RefusedFor(registry, "dev-z", Who("dev-c", "0c"), "dev-b");         // the session is dev-b's
  Visit(registry, "dev-z-ota", Who("dev-b", "0b"), /*persistent=*/true);
  RefusedFor(registry, "dev-z-ota", Who("dev-z", "0d"), "dev-b");  // "dev-z-" does not name dev-z
  Visit(registry, "dev-z", Who("dev-z", "0d"), /*persistent=*/true);  // dev-z comes: its own
  EXPECT_EQ(registry.FindSession("dev-z")->owner->who.common_name, "dev-z");
  RefusedFor(registry, "dev-z", Who("dev-b", "0b"), "dev-z");
}

TEST(SessionRegistryTest, OwningASessionDoesNotKeepAnIdThatNamesAnotherAdmittedCn) {
  SessionRegistry registry(ClientIdRule::kOwned);
  Visit(registry, "dev-a", Who("dev-b", "0b"), /*persistent=*/true);  // before dev-a was known
  Visit(registry, "sensor-17", Who("dev-a", "0a"), /*persistent=*/true);
  RefusedFor(registry, "dev-a", Who("dev-b", "0b"), "dev-a");
  // An owner keeps an id that names no admitted CN, until one with that CN is admitted.
  EXPECT_THAT(registry.MayConnect("sensor-17", Who("dev-a", "0a")), IsOk());
  Visit(registry, "x", Who("sensor-17", "0e"), /*persistent=*/false);
  RefusedFor(registry, "sensor-17", Who("dev-a", "0a"), "sensor-17");
}

TEST(SessionRegistryTest, ACnWithAColonDoesNotTakeTheSessionOfTheCnBeforeIt) {
  // The client profile allows ':' in a CN: CN "dev-a:1" and dev-a's "dev-a:1" are one id.
  SessionRegistry registry(ClientIdRule::kOwned);
  Visit(registry, "dev-a:1", Who("dev-a", "0a"), /*persistent=*/true);
  const ClientIdentity intruder = Who("dev-a:1", "0e");
  RefusedFor(registry, "dev-a:1", intruder, "dev-a");
  RefusedFor(registry, "dev-a:1:x", intruder, "dev-a");
  Visit(registry, "elsewhere", intruder, /*persistent=*/false);  // kOwned admits its CN otherwise
  // Now both CNs are admitted and name "dev-a:1": it stays with dev-a, which owns its session.
  EXPECT_THAT(registry.MayConnect("dev-a:1", Who("dev-a", "0a")), IsOk());
  RefusedFor(registry, "dev-a:1", intruder, "dev-a");
}

TEST(SessionRegistryTest, AnIdTwoAdmittedCnsNameGoesToTheOwnerOfItsSessionOrToNeither) {
  SessionRegistry registry(ClientIdRule::kOwned);
  Visit(registry, "dev-a:1", Who("dev-a:1", "0e"), /*persistent=*/true);  // before dev-a came
  Visit(registry, "dev-a", Who("dev-a", "0a"), /*persistent=*/false);
  RefusedFor(registry, "dev-a:1", Who("dev-a", "0a"), "dev-a:1");
  EXPECT_THAT(registry.MayConnect("dev-a:1", Who("dev-a:1", "0e")), IsOk());

  SessionRegistry fresh(ClientIdRule::kOwned);
  fresh.RestoreIdentities({"dev-a", "dev-a:2"});
  RefusedFor(fresh, "dev-a:2", Who("dev-a", "0a"), "dev-a:2");
  RefusedFor(fresh, "dev-a:2", Who("dev-a:2", "0f"), "dev-a");
}

TEST(SessionRegistryTest, CnPrefixRefusesACnThatHoldsAColon) {
  SessionRegistry registry(ClientIdRule::kCommonNamePrefix);
  Visit(registry, "dev-a:1", Who("dev-a", "0a"), /*persistent=*/true);
  for (const char* id : {"dev-a:1", "dev-a:1:x", "other"}) {
    const Status st = registry.MayConnect(id, Who("dev-a:1", "0e"));
    ASSERT_THAT(st, ErrorIs(Code::kPermissionDenied)) << id;
    EXPECT_NE(st.error().message().find("its CN holds ':'"), std::string::npos);
    EXPECT_NE(st.error().message().find("CN without ':', or use client_id owned or cn"),
              std::string::npos)
        << st.error().message();
  }
  SessionRegistry unknown_yet(ClientIdRule::kCommonNamePrefix);  // whether or not dev-a came
  EXPECT_THAT(unknown_yet.MayConnect("dev-a:1", Who("dev-a:1", "0e")),
              ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(registry.MayConnect("dev-a:1", Who("dev-a", "0a")), IsOk());
}

TEST(SessionRegistryTest, CnReservesOnlyTheCnItself) {
  // Under kCommonName dev-a can only use "dev-a", so "dev-a:1" is CN dev-a:1's alone...
  SessionRegistry registry(ClientIdRule::kCommonName);
  Visit(registry, "dev-a", Who("dev-a", "0a"), /*persistent=*/true);
  EXPECT_THAT(registry.MayConnect("dev-a:1", Who("dev-a:1", "0e")), IsOk());
  // ...unless dev-a holds a session by that id from an earlier rule (restored from state).
  registry.Restore({{"dev-a:2", Who("dev-a", "0a")}},
                   [](const ClientIdentity& who) { return Own(who.common_name); });
  RefusedFor(registry, "dev-a:2", Who("dev-a:2", "0f"), "dev-a");
}

TEST(SessionRegistryTest, AdmittedCnsComeBackAfterARestart) {
  SessionRegistry registry(ClientIdRule::kOwned);
  EXPECT_FALSE(registry.TakeChanged());
  Visit(registry, "tmp", Who("svc-s", "05"), /*persistent=*/false);
  Visit(registry, "dev-b", Who("dev-b", "0b"), /*persistent=*/false);
  EXPECT_TRUE(registry.TakeChanged());
  EXPECT_EQ(registry.Identities(), (std::vector<std::string>{"dev-b", "svc-s"}));

  SessionRegistry restarted(ClientIdRule::kOwned);
  EXPECT_THAT(restarted.MayConnect("dev-b", Who("svc-s", "05")), IsOk());  // nothing known yet
  restarted.RestoreIdentities(registry.Identities());
  RefusedFor(restarted, "dev-b", Who("svc-s", "05"), "dev-b");
  EXPECT_THAT(restarted.MayConnect("dev-b", Who("dev-b", "0b")), IsOk());
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
  EXPECT_TRUE(registry.TakeChanged());  // dev-a is known from now on, for the state file
  registry.Connected(&a, "tmp", Who("dev-a", "0a"), Own("dev-a"), false);
  registry.Disconnected(&a);
  registry.ForgetEnded();
  EXPECT_FALSE(registry.TakeChanged());  // a known identity's clean session: nothing to write
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
