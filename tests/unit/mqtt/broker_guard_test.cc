// SPDX-License-Identifier: Apache-2.0
// The plugin's decisions with certificates issued by a real (in-memory) anchor CA; the feed's
// pages are applied as the follower would apply them. The follower itself, the broker and the
// CA server run for real in tests/integration/mosquitto_plugin_test.sh.
#include "plugins/mosquitto/broker_guard.h"

#include <gtest/gtest.h>

#include "core/file_io.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

crypto::Certificate Issue(TestCa& ca, const std::string& cn, ca::Profile profile) {
  return ca.authority->Issue({MakeCsr(cn), profile, std::nullopt, std::nullopt, {}}).value().cert;
}

class BrokerGuardTest : public anchor::testing::TempDirTest {
 protected:
  std::unique_ptr<BrokerGuard> Guard(bool fail_closed) {
    GuardOptions options;
    options.follower.ca_url = "https://127.0.0.1:1";  // never reached: pages are applied below
    options.follower.roots = {*ca_.root};
    options.fail_closed = fail_closed;
    auto guard = BrokerGuard::Create(options);
    EXPECT_THAT(guard, IsOk());
    return std::move(*guard);
  }

  TestCa ca_;
  const Clock::time_point now_ = SystemClock().Now();
};

TEST_F(BrokerGuardTest, AdmitsADeviceOfTheCaWithItsRole) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto cert = Issue(ca_, "pump-1", ca::Profile::kDevice);
  const auto who = guard->Admit(cert, now_);
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ(who->common_name, "pump-1");
  EXPECT_EQ(who->serial, cert.SerialHex());
  EXPECT_EQ(who->roles, std::vector<std::string>{"device"});
  int handle = 0;
  guard->Connected(&handle, "pump-1", *who);
  const Grants& grants = guard->Find(&handle)->grants;
  EXPECT_TRUE(grants.Allows(Access::kPublish, "devices/pump-1/telemetry"));
  EXPECT_FALSE(grants.Allows(Access::kPublish, "devices/pump-2/telemetry"));
  ASSERT_THAT(guard->Admit(cert, now_), IsOk());  // again, from the remembered verification
}

TEST_F(BrokerGuardTest, RefusesACertificateOfAnotherCa) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  TestCa other;
  EXPECT_THAT(guard->Admit(Issue(other, "pump-1", ca::Profile::kDevice), now_),
              ErrorIs(Code::kPermissionDenied));
}

TEST_F(BrokerGuardTest, RefusesARevokedCertificateAndKicksItsConnection) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "a", ca::Profile::kDevice);
  const auto b = Issue(ca_, "b", ca::Profile::kDevice);
  int handle_a = 0, handle_b = 0;
  guard->Connected(&handle_a, "client-a", guard->Admit(a, now_).value());
  guard->Connected(&handle_b, "client-b", guard->Admit(b, now_).value());
  EXPECT_TRUE(guard->TakeKicks().empty());

  ASSERT_THAT(guard->revocations().Apply({1, false, {a.SerialHex()}}), IsOk());
  const auto kicks = guard->TakeKicks();
  ASSERT_EQ(kicks.size(), 1u);
  EXPECT_EQ(kicks[0].client_id, "client-a");
  EXPECT_EQ(kicks[0].who.common_name, "a");
  EXPECT_TRUE(guard->TakeKicks().empty());  // each revocation kicks once
  EXPECT_THAT(guard->Admit(a, now_), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(guard->Admit(b, now_), IsOk());
}

TEST_F(BrokerGuardTest, ADisconnectedClientIsNotKicked) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "a", ca::Profile::kDevice);
  int handle = 0;
  guard->Connected(&handle, "client-a", guard->Admit(a, now_).value());
  ASSERT_NE(guard->Find(&handle), nullptr);
  guard->Disconnected(&handle);
  EXPECT_EQ(guard->Find(&handle), nullptr);
  ASSERT_THAT(guard->revocations().Apply({1, false, {a.SerialHex()}}), IsOk());
  EXPECT_TRUE(guard->TakeKicks().empty());
}

TEST_F(BrokerGuardTest, AReusedHandleForgetsTheOldCertificate) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto old_cert = Issue(ca_, "a", ca::Profile::kDevice);
  const auto new_cert = Issue(ca_, "a", ca::Profile::kDevice);
  int handle = 0;
  guard->Connected(&handle, "client-a", guard->Admit(old_cert, now_).value());
  guard->Connected(&handle, "client-a", guard->Admit(new_cert, now_).value());
  ASSERT_THAT(guard->revocations().Apply({1, false, {old_cert.SerialHex()}}), IsOk());
  EXPECT_TRUE(guard->TakeKicks().empty());  // the renewed certificate is the one connected
}

TEST_F(BrokerGuardTest, AReloadRegrantsConnectedClients) {
  const std::string rules = Path("acl.toml");
  ASSERT_THAT(
      WriteFileAtomic(rules, "[[allow]]\nrole = \"device\"\npublish = [\"a/{cn}\"]\n", 0644),
      IsOk());
  GuardOptions options;
  options.follower.ca_url = "https://127.0.0.1:1";
  options.follower.roots = {*ca_.root};
  options.acl_file = rules;
  auto guard = BrokerGuard::Create(options);
  ASSERT_THAT(guard, IsOk());
  (*guard)->issuers().Set({*ca_.intermediate});
  int handle = 0;
  (*guard)->Connected(&handle, "c",
                      (*guard)->Admit(Issue(ca_, "p1", ca::Profile::kDevice), now_).value());
  EXPECT_TRUE((*guard)->Find(&handle)->grants.Allows(Access::kPublish, "a/p1"));

  // The device role is renamed and granted another topic: the connected client follows.
  ASSERT_THAT(WriteFileAtomic(rules,
                              "[roles]\nsensor = \"urn:anchor:device:{cn}\"\n[[allow]]\n"
                              "role = \"sensor\"\npublish = [\"b/{cn}\"]\n",
                              0644),
              IsOk());
  ASSERT_THAT((*guard)->ReloadAcl(), IsOk());
  const Connection* c = (*guard)->Find(&handle);
  EXPECT_EQ(c->who.roles, std::vector<std::string>{"sensor"});
  EXPECT_FALSE(c->grants.Allows(Access::kPublish, "a/p1"));
  EXPECT_TRUE(c->grants.Allows(Access::kPublish, "b/p1"));

  // A broken file keeps the rules (and grants) in force.
  ASSERT_THAT(WriteFileAtomic(rules, "[[allow]]\n", 0644), IsOk());
  EXPECT_THAT((*guard)->ReloadAcl(), ErrorIs(Code::kInvalidArgument));
  EXPECT_TRUE((*guard)->Find(&handle)->grants.Allows(Access::kPublish, "b/p1"));
}

TEST_F(BrokerGuardTest, FailOpenAdmitsWhileTheCaIsDownFailClosedRefuses) {
  const auto cert = Issue(ca_, "a", ca::Profile::kDevice);
  auto open = Guard(false);
  EXPECT_THAT(open->Admit(cert, now_), IsOk());  // issuers unknown, feed never answered
  open->issuers().Set({*ca_.intermediate});
  EXPECT_THAT(open->Admit(cert, now_), IsOk());

  auto closed = Guard(true);
  EXPECT_THAT(closed->Admit(cert, now_), ErrorIs(Code::kPermissionDenied));
  closed->issuers().Set({*ca_.intermediate});
  EXPECT_FALSE(closed->FeedFresh(now_));
  EXPECT_THAT(closed->Admit(cert, now_), ErrorIs(Code::kPermissionDenied));
}

TEST_F(BrokerGuardTest, ParsesOptionsAndNamesTheBadOne) {
  const std::string root = Path("root.crt"), cert = Path("broker.crt"), key = Path("broker.key");
  ASSERT_THAT(WriteFileAtomic(root, ca_.root->ToPem(), 0644), IsOk());
  ASSERT_THAT(WriteFileAtomic(cert, ca_.root->ToPem(), 0644), IsOk());
  ASSERT_THAT(WriteFileAtomic(key, "key", 0600), IsOk());
  std::vector<std::pair<std::string, std::string>> good = {{"ca_url", "https://ca:8443"},
                                                           {"ca_file", root},
                                                           {"cert", cert},
                                                           {"key", key},
                                                           {"poll_ms", "100"},
                                                           {"on_ca_down", "closed"},
                                                           {"stale_after_s", "5"}};
  const auto parsed = ParseGuardOptions(good);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(parsed->fail_closed);
  EXPECT_EQ(parsed->follower.poll_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(parsed->stale_after, std::chrono::seconds(5));

  const std::pair<std::string, std::string> bad[] = {{"poll_ms", "0"},
                                                     {"on_ca_down", "maybe"},
                                                     {"ca_url", "http://ca"},
                                                     {"colour", "blue"},
                                                     {"ca_file", Path("missing.crt")}};
  for (const auto& [k, v] : bad) {
    auto options = good;
    options.emplace_back(k, v);
    const auto r = ParseGuardOptions(options);
    ASSERT_THAT(r, ErrorIs(Code::kInvalidArgument)) << k;
    EXPECT_NE(r.error().message().find("plugin_opt_" + k), std::string::npos)
        << r.error().message();
  }
}

TEST(RevocationListTest, ParsesTheFeedAndRefusesGarbage) {
  const auto page = ParseFeedPage(
      R"({"cursor":7,"more":true,"revocations":[{"seq":7,"serial":"0a1b","reason":"keyCompromise"}]})");
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->cursor, 7);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->serials, std::vector<std::string>{"0a1b"});
  for (const char* bad : {"", "[]", R"({"cursor":-1,"more":false,"revocations":[]})",
                          R"({"cursor":1,"revocations":[]})",
                          R"({"cursor":1,"more":false,"revocations":[{"serial":"0A1B"}]})",
                          R"({"cursor":1,"more":false,"revocations":[{"serial":7}]})"}) {
    EXPECT_THAT(ParseFeedPage(bad), ErrorIs(Code::kInvalidArgument)) << bad;
  }
}

TEST(RevocationListTest, CursorNeverGoesBack) {
  RevocationList list;
  ASSERT_THAT(list.Apply({5, false, {"aa"}}), IsOk());
  EXPECT_THAT(list.Apply({3, false, {"bb"}}), ErrorIs(Code::kFailedPrecondition));
  EXPECT_FALSE(list.IsRevoked("bb"));
  EXPECT_EQ(list.cursor(), 5);
  RevocationList restored;
  restored.Restore(list.Snapshot());
  EXPECT_TRUE(restored.IsRevoked("aa"));
  EXPECT_EQ(restored.cursor(), 5);
  EXPECT_FALSE(restored.HasFresh());  // what a cache restores was kicked before the restart
}

}  // namespace
}  // namespace anchor::mqtt
