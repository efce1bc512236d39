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
  return ca.authority->Issue({MakeCsr(cn), ca::OperatorRequest{profile}}).value().cert;
}

class BrokerGuardTest : public anchor::testing::TempDirTest {
 protected:
  std::unique_ptr<BrokerGuard> Guard(bool fail_closed) {
    GuardOptions options;
    options.follower.servers =
        client::ServerList("https://127.0.0.1:1");  // never reached: pages are applied below
    options.follower.roots = {*ca_.root};
    options.fail_closed = fail_closed;
    auto guard = BrokerGuard::Create(options);
    EXPECT_THAT(guard, IsOk());
    return std::move(*guard);
  }

  // Connect admits `cert` with `client_id` on `handle`, as the broker's authentication would.
  void Connect(BrokerGuard& guard, const void* handle, const crypto::Certificate& cert,
               const std::string& client_id, bool outlives_connection = true) {
    auto who = guard.Admit(cert, client_id, now_);
    ASSERT_THAT(who, IsOk());
    guard.Connected(handle, client_id, *who, outlives_connection);
  }

  TestCa ca_;
  const Clock::time_point now_ = SystemClock().Now();
};

// Ask is one ACL check of the broker's.
AclRequest Ask(const void* client, std::string_view client_id, Access access,
               std::string_view topic, std::string_view payload = "x", bool retain = false) {
  AclRequest r;
  r.client = client;
  r.client_id = client_id;
  r.access = access;
  r.topic = topic;
  r.payload = {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()};
  r.retain = retain;
  return r;
}

TEST_F(BrokerGuardTest, AdmitsADeviceOfTheCaWithItsRole) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto cert = Issue(ca_, "pump-1", ca::Profile::kDevice);
  const auto who = guard->Admit(cert, "pump-1", now_);
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ(who->common_name, "pump-1");
  EXPECT_EQ(who->serial, cert.SerialHex());
  EXPECT_EQ(who->roles, std::vector<std::string>{"device"});
  int handle = 0;
  guard->Connected(&handle, "pump-1", *who, true);
  const Grants& grants = guard->Find(&handle)->grants;
  EXPECT_TRUE(grants.Allows(Access::kPublish, "devices/pump-1/telemetry"));
  EXPECT_FALSE(grants.Allows(Access::kPublish, "devices/pump-2/telemetry"));
  ASSERT_THAT(guard->Admit(cert, "pump-1", now_),
              IsOk());  // again, from the remembered verification
}

TEST_F(BrokerGuardTest, RefusesACertificateOfAnotherCa) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  TestCa other;
  EXPECT_THAT(guard->Admit(Issue(other, "pump-1", ca::Profile::kDevice), "pump-1", now_),
              ErrorIs(Code::kPermissionDenied));
}

TEST_F(BrokerGuardTest, RefusesARevokedCertificateAndKicksItsConnection) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "a", ca::Profile::kDevice);
  const auto b = Issue(ca_, "b", ca::Profile::kDevice);
  int handle_a = 0, handle_b = 0;
  guard->Connected(&handle_a, "client-a", guard->Admit(a, "client-a", now_).value(), true);
  guard->Connected(&handle_b, "client-b", guard->Admit(b, "client-b", now_).value(), true);
  EXPECT_TRUE(guard->TakeKicks().empty());

  ASSERT_THAT(guard->revocations().Apply({1, false, {a.SerialHex()}}), IsOk());
  const auto kicks = guard->TakeKicks();
  ASSERT_EQ(kicks.size(), 1u);
  EXPECT_EQ(kicks[0].client_id, "client-a");
  EXPECT_NE(kicks[0].why.find("'a' (serial " + a.SerialHex() + ")"), std::string::npos);
  EXPECT_TRUE(guard->TakeKicks().empty());  // each revocation kicks once
  EXPECT_THAT(guard->Admit(a, "client-a", now_), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(guard->Admit(b, "client-b", now_), IsOk());
}

TEST_F(BrokerGuardTest, ADisconnectedClientIsNotKicked) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "a", ca::Profile::kDevice);
  int handle = 0;
  guard->Connected(&handle, "client-a", guard->Admit(a, "client-a", now_).value(), true);
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
  guard->Connected(&handle, "client-a", guard->Admit(old_cert, "client-a", now_).value(), true);
  guard->Connected(&handle, "client-a", guard->Admit(new_cert, "client-a", now_).value(), true);
  ASSERT_THAT(guard->revocations().Apply({1, false, {old_cert.SerialHex()}}), IsOk());
  EXPECT_TRUE(guard->TakeKicks().empty());  // the renewed certificate is the one connected
}

TEST_F(BrokerGuardTest, AReloadRegrantsConnectedClients) {
  const std::string rules = Path("acl.toml");
  ASSERT_THAT(
      WriteFileAtomic(rules, "[[allow]]\nrole = \"device\"\npublish = [\"a/{cn}\"]\n", 0644),
      IsOk());
  GuardOptions options;
  options.follower.servers = client::ServerList("https://127.0.0.1:1");
  options.follower.roots = {*ca_.root};
  options.acl_file = rules;
  auto guard = BrokerGuard::Create(options);
  ASSERT_THAT(guard, IsOk());
  (*guard)->issuers().Set({*ca_.intermediate});
  int handle = 0;
  (*guard)->Connected(&handle, "c",
                      (*guard)->Admit(Issue(ca_, "p1", ca::Profile::kDevice), "c", now_).value(),
                      true);
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
  EXPECT_THAT(open->Admit(cert, "a", now_), IsOk());  // issuers unknown, feed never answered
  open->issuers().Set({*ca_.intermediate});
  EXPECT_THAT(open->Admit(cert, "a", now_), IsOk());

  auto closed = Guard(true);
  EXPECT_THAT(closed->Admit(cert, "a", now_), ErrorIs(Code::kPermissionDenied));
  closed->issuers().Set({*ca_.intermediate});
  EXPECT_FALSE(closed->FeedFresh(now_));
  EXPECT_THAT(closed->Admit(cert, "a", now_), ErrorIs(Code::kPermissionDenied));
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
                                                           {"feed_wait_s", "0"},
                                                           {"on_ca_down", "closed"},
                                                           {"stale_after_s", "5"},
                                                           {"client_id", "cn-prefix"},
                                                           {"state_file", Path("state.json")}};
  const auto parsed = ParseGuardOptions(good);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(parsed->fail_closed);
  EXPECT_EQ(parsed->follower.poll_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(parsed->follower.feed_wait, std::chrono::seconds(0));  // polling only
  EXPECT_EQ(ParseGuardOptions({good.begin(), good.begin() + 4})->follower.feed_wait,
            std::chrono::seconds(10));  // the default
  EXPECT_EQ(parsed->stale_after, std::chrono::seconds(5));
  EXPECT_EQ(parsed->client_id_rule, ClientIdRule::kCommonNamePrefix);
  EXPECT_EQ(parsed->state_file, Path("state.json"));
  EXPECT_TRUE(parsed->listener_roots.empty());  // the listener chains to ca_file's root
  auto with_listener_roots = good;
  with_listener_roots.emplace_back("listener_ca_file", root);
  const auto listener = ParseGuardOptions(with_listener_roots);
  ASSERT_THAT(listener, IsOk());
  ASSERT_EQ(listener->listener_roots.size(), 1u);
  EXPECT_EQ(ParseGuardOptions({good.begin(), good.begin() + 4})->client_id_rule,
            ClientIdRule::kOwned);  // the default

  const std::pair<std::string, std::string> bad[] = {
      {"poll_ms", "0"},         {"feed_wait_s", "56"},
      {"feed_wait_s", "-1"},    {"feed_wait_s", "10s"},
      {"on_ca_down", "maybe"},  {"ca_url", "http://ca"},
      {"colour", "blue"},       {"client_id", "first"},
      {"state_file", ""},       {"ca_file", Path("missing.crt")},
      {"listener_ca_file", key}};
  for (const auto& [k, v] : bad) {
    auto options = good;
    options.emplace_back(k, v);
    const auto r = ParseGuardOptions(options);
    ASSERT_THAT(r, ErrorIs(Code::kInvalidArgument)) << k;
    EXPECT_NE(r.error().message().find("plugin_opt_" + k), std::string::npos)
        << r.error().message();
  }
}

TEST_F(BrokerGuardTest, CaUrlTakesTheReplicasRepeatedOrSeparatedByCommas) {
  const std::string root = Path("root.crt"), cert = Path("broker.crt"), key = Path("broker.key");
  ASSERT_THAT(WriteFileAtomic(root, ca_.root->ToPem(), 0644), IsOk());
  ASSERT_THAT(WriteFileAtomic(cert, ca_.root->ToPem(), 0644), IsOk());
  ASSERT_THAT(WriteFileAtomic(key, "key", 0600), IsOk());
  const auto with_urls = [&](std::vector<std::string> urls) {
    std::vector<std::pair<std::string, std::string>> options = {
        {"ca_file", root}, {"cert", cert}, {"key", key}};
    for (std::string& url : urls) {
      options.emplace_back("ca_url", std::move(url));
    }
    return ParseGuardOptions(options);
  };
  const std::vector<std::string> want = {"https://a:8443", "https://b:8443", "https://c:8443"};
  for (const auto& urls :
       std::vector<std::vector<std::string>>{{"https://a:8443", "https://b:8443", "https://c:8443"},
                                             {"https://a:8443,https://b:8443, https://c:8443"},
                                             {"https://a:8443", "https://b:8443,https://c:8443"}}) {
    const auto parsed = with_urls(urls);
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(parsed->follower.servers.urls(), want);
    EXPECT_EQ(parsed->follower.servers.Current(), "https://a:8443");  // followed first
  }
  for (const auto& urls :
       std::vector<std::vector<std::string>>{{},
                                             {"https://a:8443,"},
                                             {"https://a:8443", "https://a:8443"},
                                             {"https://a:8443,http://b:8080"}}) {
    const auto parsed = with_urls(urls);
    ASSERT_THAT(parsed, ErrorIs(Code::kInvalidArgument));
    EXPECT_NE(parsed.error().message().find("plugin_opt_ca_url"), std::string::npos)
        << parsed.error().message();
  }
}

TEST(FeedRequestTest, AsksForTheRevocationsAfterTheCursor) {
  EXPECT_EQ(FeedRequestPath(0, 5000), "/api/v1/revocations?since=0&limit=5000");
  EXPECT_EQ(FeedRequestPath(1234567890123, 1), "/api/v1/revocations?since=1234567890123&limit=1");
}

TEST(FeedRequestTest, WaitsOnTheCaOnlyWhenAsked) {
  EXPECT_EQ(FeedRequestPath(7, 100, std::chrono::seconds(10)),
            "/api/v1/revocations?since=7&limit=100&wait=10s");
  EXPECT_EQ(FeedRequestPath(7, 100, std::chrono::seconds(0)),
            "/api/v1/revocations?since=7&limit=100");
}

TEST_F(BrokerGuardTest, AClientDeniedAgainAndAgainIsLoggedOnceAMinute) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto cert = Issue(ca_, "pump-1", ca::Profile::kDevice);
  int handle = 0;
  Connect(*guard, &handle, cert, "pump-1");
  int lines = 0;
  for (int i = 0; i < 100; ++i) {  // 100 publishes to another device's topic in one second
    AclRequest ask = Ask(&handle, "pump-1", Access::kPublish, "devices/pump-2/telemetry");
    ask.now = now_ + std::chrono::milliseconds(10 * i);
    const AclVerdict v = guard->Check(ask);
    EXPECT_FALSE(v.allowed);
    lines += v.why.empty() ? 0 : 1;
  }
  EXPECT_EQ(lines, 1);
  AclRequest other = Ask(&handle, "pump-1", Access::kSubscribe, "devices/#");
  other.now = now_ + std::chrono::seconds(1);
  EXPECT_FALSE(guard->Check(other).why.empty());  // another denial is its own line
  AclRequest later = Ask(&handle, "pump-1", Access::kPublish, "devices/pump-2/telemetry");
  later.now = now_ + std::chrono::seconds(61);
  const AclVerdict v = guard->Check(later);
  EXPECT_NE(v.why.find("denied publish 'devices/pump-2/telemetry' to 'pump-1'"), std::string::npos)
      << v.why;
  EXPECT_NE(v.why.find("(99 more like it in the last 60 s not logged)"), std::string::npos)
      << v.why;
}

TEST_F(BrokerGuardTest, AnOfflineSessionsDeliveriesAreDecidedByItsOwner) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  int device = 0;
  Connect(*guard, &device, Issue(ca_, "dev-a", ca::Profile::kDevice), "a-persist");
  guard->Disconnected(&device);
  guard->Tick(now_);

  // The broker queues a QoS 1 message for the offline session: the handle has no connection,
  // and the identity that owns the session decides, without a kick or any call to the broker.
  const AclVerdict own =
      guard->Check(Ask(&device, "a-persist", Access::kReceive, "commands/dev-a/reboot"));
  EXPECT_TRUE(own.allowed) << own.why;
  const AclVerdict other =
      guard->Check(Ask(&device, "a-persist", Access::kReceive, "commands/dev-b/reboot"));
  EXPECT_FALSE(other.allowed);
  EXPECT_NE(other.why.find("the offline session 'a-persist' of 'dev-a'"), std::string::npos)
      << other.why;
  EXPECT_TRUE(guard->TakeKicks().empty());
}

TEST_F(BrokerGuardTest, ASessionNobodyOwnsGetsNothingAndIsLoggedOnce) {
  auto guard = Guard(false);
  int restored = 0;  // a session the broker restored from its persistence file
  const AclVerdict first = guard->Check(Ask(&restored, "ghost", Access::kReceive, "commands/x/y"));
  EXPECT_FALSE(first.allowed);
  EXPECT_NE(first.why.find("client id 'ghost'"), std::string::npos) << first.why;
  const AclVerdict again = guard->Check(Ask(&restored, "ghost", Access::kReceive, "commands/x/y"));
  EXPECT_FALSE(again.allowed);
  EXPECT_TRUE(again.why.empty());
  EXPECT_TRUE(guard->TakeKicks().empty());
}

TEST_F(BrokerGuardTest, NothingIsQueuedForTheOfflineSessionOfARevokedDevice) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto cert = Issue(ca_, "dev-a", ca::Profile::kDevice);
  int device = 0;
  Connect(*guard, &device, cert, "a-persist");
  guard->Disconnected(&device);
  ASSERT_THAT(guard->revocations().Apply({1, false, {cert.SerialHex()}}), IsOk());

  const auto ask = Ask(&device, "a-persist", Access::kReceive, "commands/dev-a/reboot");
  const AclVerdict first = guard->Check(ask);
  EXPECT_FALSE(first.allowed);
  EXPECT_NE(first.why.find("revoked"), std::string::npos) << first.why;
  EXPECT_FALSE(guard->Check(ask).allowed);
  EXPECT_TRUE(guard->Check(ask).why.empty());  // one line per session, not per message
  EXPECT_TRUE(guard->TakeKicks().empty());     // an offline session is never kicked
}

TEST_F(BrokerGuardTest, AnotherIdentityCannotTakeOverAClientIdButARenewedOneCan) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  int a = 0;
  Connect(*guard, &a, Issue(ca_, "dev-a", ca::Profile::kDevice), "sensor-17");
  const auto b = Issue(ca_, "dev-b", ca::Profile::kDevice);
  const auto refused = guard->Admit(b, "sensor-17", now_);
  ASSERT_THAT(refused, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(refused.error().message().find("belongs to 'dev-a'"), std::string::npos);
  guard->Disconnected(&a);
  guard->Tick(now_);
  EXPECT_THAT(guard->Admit(b, "sensor-17", now_), ErrorIs(Code::kPermissionDenied));

  const auto renewed = Issue(ca_, "dev-a", ca::Profile::kDevice);  // new serial, same CN
  int again = 0;
  Connect(*guard, &again, renewed, "sensor-17");
  EXPECT_EQ(guard->FindSession("sensor-17")->owner->who.serial, renewed.SerialHex());
}

TEST_F(BrokerGuardTest, AnIdThatIsAnAdmittedCnIsRefusedToAnyoneElse) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto b = Issue(ca_, "dev-b", ca::Profile::kDevice);
  const auto svc = Issue(ca_, "svc-s", ca::Profile::kService);
  EXPECT_THAT(guard->Admit(svc, "dev-b", now_), IsOk());  // dev-b never came: not known yet
  int device = 0;
  Connect(*guard, &device, b, "b-clean", /*outlives_connection=*/false);
  guard->Disconnected(&device);
  guard->Tick(now_);
  ASSERT_EQ(guard->FindSession("b-clean"), nullptr);  // no session left, and yet:
  const auto refused = guard->Admit(svc, "dev-b", now_);
  ASSERT_THAT(refused, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(refused.error().message().find("client id 'dev-b' belongs to 'dev-b'"),
            std::string::npos)
      << refused.error().message();
  EXPECT_THAT(guard->Admit(svc, "dev-b:ota", now_), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(guard->Admit(svc, "svc-s:dev-b", now_), IsOk());
  EXPECT_THAT(guard->Admit(b, "dev-b", now_), IsOk());
}

TEST_F(BrokerGuardTest, ACnWithAColonCannotTakeTheSessionOfThePrefixCn) {
  for (const ClientIdRule rule : {ClientIdRule::kOwned, ClientIdRule::kCommonNamePrefix}) {
    GuardOptions options;
    options.follower.servers = client::ServerList("https://127.0.0.1:1");
    options.follower.roots = {*ca_.root};
    options.client_id_rule = rule;
    auto guard = BrokerGuard::Create(options).value();
    guard->issuers().Set({*ca_.intermediate});
    int device = 0;
    Connect(*guard, &device, Issue(ca_, "dev-a", ca::Profile::kDevice), "dev-a:1");
    guard->Disconnected(&device);
    const auto intruder = Issue(ca_, "dev-a:1", ca::Profile::kClient);
    EXPECT_THAT(guard->Admit(intruder, "dev-a:1", now_), ErrorIs(Code::kPermissionDenied));
    // kOwned admits that CN under ids that name no other CN; cn-prefix under none.
    EXPECT_EQ(guard->Admit(intruder, "elsewhere", now_).has_value(), rule == ClientIdRule::kOwned);
    EXPECT_EQ(guard->FindSession("dev-a:1")->owner->who.common_name, "dev-a");
  }
}

TEST_F(BrokerGuardTest, TheStateFileKeepsTheAdmittedCnsAcrossARestart) {
  GuardOptions options;
  options.follower.servers = client::ServerList("https://127.0.0.1:1");
  options.follower.roots = {*ca_.root};
  const auto a = Issue(ca_, "dev-a", ca::Profile::kDevice);
  const auto b = Issue(ca_, "dev-b", ca::Profile::kDevice);
  const auto visit_and_restart = [&](const GuardOptions& o) {
    {
      auto guard = BrokerGuard::Create(o).value();
      int device = 0;
      Connect(*guard, &device, a, "a-clean", /*outlives_connection=*/false);
      guard->Disconnected(&device);
      guard->SaveState();
    }
    return BrokerGuard::Create(o).value();
  };
  // Without a state file, a restarted plugin knows no CN (the README says so).
  EXPECT_THAT(visit_and_restart(options)->Admit(b, "dev-a", now_), IsOk());
  options.state_file = Path("state.json");
  const auto restarted = visit_and_restart(options);
  EXPECT_THAT(restarted->Admit(b, "dev-a", now_), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(restarted->Admit(a, "dev-a", now_), IsOk());
  const auto text = ReadFile(Path("state.json"));
  ASSERT_THAT(text, IsOk());
  EXPECT_NE(text->find("\"identities\":[\"dev-a\"]"), std::string::npos) << *text;
}

TEST_F(BrokerGuardTest, TheCommonNameRuleKeepsEachIdentityToItsOwnId) {
  GuardOptions options;
  options.follower.servers = client::ServerList("https://127.0.0.1:1");
  options.follower.roots = {*ca_.root};
  options.client_id_rule = ClientIdRule::kCommonName;
  auto guard = BrokerGuard::Create(options);
  ASSERT_THAT(guard, IsOk());
  (*guard)->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "dev-a", ca::Profile::kDevice);
  EXPECT_THAT((*guard)->Admit(a, "dev-a", now_), IsOk());
  EXPECT_THAT((*guard)->Admit(a, "sensor-17", now_), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT((*guard)->Admit(a, "dev-b", now_), ErrorIs(Code::kPermissionDenied));
}

TEST_F(BrokerGuardTest, ARetainedMessageIsWithheldOnceItsPublisherIsRevoked) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "dev-a", ca::Profile::kDevice);
  int device = 0, service = 0;
  Connect(*guard, &device, a, "a");
  Connect(*guard, &service, Issue(ca_, "svc-s", ca::Profile::kService), "svc");
  const std::string_view topic = "devices/dev-a/telemetry";
  ASSERT_TRUE(guard->Check(Ask(&device, "a", Access::kPublish, topic, "21.5", true)).allowed);
  guard->Disconnected(&device);

  const auto retained = Ask(&service, "svc", Access::kReceive, topic, "21.5", true);
  EXPECT_TRUE(guard->Check(retained).allowed);
  ASSERT_THAT(guard->revocations().Apply({1, false, {a.SerialHex()}}), IsOk());
  const AclVerdict withheld = guard->Check(retained);
  EXPECT_FALSE(withheld.allowed);
  EXPECT_NE(withheld.why.find("published by certificate " + a.SerialHex() + ", since revoked"),
            std::string::npos)
      << withheld.why;
  // A message the plugin did not see published (a bridge's, the broker's) is left alone.
  EXPECT_TRUE(guard->Check(Ask(&service, "svc", Access::kReceive, topic, "other", true)).allowed);
}

TEST_F(BrokerGuardTest, AnEmptyRetainedPublishForgetsTheTopicsPublisher) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  int device = 0;
  Connect(*guard, &device, Issue(ca_, "dev-a", ca::Profile::kDevice), "a");
  const std::string_view topic = "devices/dev-a/status";
  ASSERT_TRUE(guard->Check(Ask(&device, "a", Access::kPublish, topic, "online", true)).allowed);
  EXPECT_EQ(guard->retained().size(), 1u);
  ASSERT_TRUE(guard->Check(Ask(&device, "a", Access::kPublish, topic, "", true)).allowed);
  EXPECT_EQ(guard->retained().size(), 0u);
  ASSERT_TRUE(guard->Check(Ask(&device, "a", Access::kPublish, topic, "not kept", false)).allowed);
  EXPECT_EQ(guard->retained().size(), 0u);  // only retained publishes are recorded
}

TEST_F(BrokerGuardTest, AWillIsDecidedByTheIdentityThatLeftIt) {
  auto guard = Guard(false);
  guard->issuers().Set({*ca_.intermediate});
  const auto a = Issue(ca_, "dev-a", ca::Profile::kDevice);
  int persistent = 0, clean = 0;
  Connect(*guard, &persistent, a, "a-persist");
  Connect(*guard, &clean, a, "a-clean", /*outlives_connection=*/false);
  // The broker checks a will after its connection is gone (and its disconnection reported).
  guard->Disconnected(&persistent);
  guard->Disconnected(&clean);
  const std::string_view own = "devices/dev-a/status";
  EXPECT_TRUE(
      guard->Check(Ask(&persistent, "a-persist", Access::kPublish, own, "gone", true)).allowed);
  EXPECT_TRUE(guard->Check(Ask(&clean, "a-clean", Access::kPublish, own, "gone")).allowed);
  EXPECT_FALSE(guard->Check(Ask(&persistent, "a-persist", Access::kPublish, "devices/dev-b/status"))
                   .allowed);
  // The will's retained message is dev-a's, withheld once dev-a is revoked.
  ASSERT_THAT(guard->revocations().Apply({1, false, {a.SerialHex()}}), IsOk());
  int reader = 0;
  Connect(*guard, &reader, Issue(ca_, "svc-s", ca::Profile::kService), "svc");
  EXPECT_FALSE(guard->Check(Ask(&reader, "svc", Access::kReceive, own, "gone", true)).allowed);
  // A delayed will (MQTT 5) of a device revoked meanwhile is not sent.
  EXPECT_FALSE(guard->Check(Ask(&persistent, "a-persist", Access::kPublish, own, "late")).allowed);
  // A clean session is forgotten at the tick after its will.
  guard->Tick(now_);
  EXPECT_EQ(guard->FindSession("a-clean"), nullptr);
}

TEST_F(BrokerGuardTest, ARefusedConnectionIsDroppedAtTheTickNotInsideTheCheck) {
  auto guard = Guard(false);
  int x = 0, y = 0;
  guard->Refused(&x, "x", "refused at its first publish or subscribe");
  guard->Refused(&y, "y", "refused at its first publish or subscribe");
  guard->Disconnected(&y);  // gone before the tick: nothing to drop
  const auto kicks = guard->TakeKicks();
  ASSERT_EQ(kicks.size(), 1u);
  EXPECT_EQ(kicks[0].client_id, "x");
  EXPECT_TRUE(guard->TakeKicks().empty());
}

TEST_F(BrokerGuardTest, TheStateFileCarriesOwnersAndPublishersAcrossARestart) {
  GuardOptions options;
  options.follower.servers = client::ServerList("https://127.0.0.1:1");
  options.follower.roots = {*ca_.root};
  options.state_file = Path("state.json");
  const auto a = Issue(ca_, "dev-a", ca::Profile::kDevice);
  const auto b = Issue(ca_, "dev-b", ca::Profile::kDevice);
  const std::string_view topic = "devices/dev-a/telemetry";
  {
    auto guard = BrokerGuard::Create(options).value();
    guard->issuers().Set({*ca_.intermediate});
    int device = 0;
    Connect(*guard, &device, a, "a-persist");
    ASSERT_TRUE(
        guard->Check(Ask(&device, "a-persist", Access::kPublish, topic, "9", true)).allowed);
    guard->Disconnected(&device);
    guard->SaveState();
  }
  auto guard = BrokerGuard::Create(options).value();
  guard->issuers().Set({*ca_.intermediate});
  int restored = 0, service = 0;
  EXPECT_TRUE(
      guard->Check(Ask(&restored, "a-persist", Access::kReceive, "commands/dev-a/x")).allowed);
  EXPECT_THAT(guard->Admit(b, "a-persist", now_), ErrorIs(Code::kPermissionDenied));
  Connect(*guard, &service, Issue(ca_, "svc-s", ca::Profile::kService), "svc");
  const auto retained = Ask(&service, "svc", Access::kReceive, topic, "9", true);
  EXPECT_TRUE(guard->Check(retained).allowed);
  ASSERT_THAT(guard->revocations().Apply({1, false, {a.SerialHex()}}), IsOk());
  EXPECT_FALSE(guard->Check(retained).allowed);
}

TEST_F(BrokerGuardTest, TheStateFileIsWrittenFromTheTickAndABadOneIsIgnored) {
  GuardOptions options;
  options.follower.servers = client::ServerList("https://127.0.0.1:1");
  options.follower.roots = {*ca_.root};
  options.state_file = Path("state.json");
  options.save_every = std::chrono::milliseconds(0);
  {
    auto guard = BrokerGuard::Create(options).value();
    int device = 0;
    Connect(*guard, &device, Issue(ca_, "dev-a", ca::Profile::kDevice), "a-persist");
    guard->Tick(now_);
  }  // the writer finishes before the guard is gone
  const auto text = ReadFile(Path("state.json"));
  ASSERT_THAT(text, IsOk());
  EXPECT_NE(text->find("\"client_id\":\"a-persist\""), std::string::npos) << *text;

  ASSERT_THAT(WriteFileAtomic(Path("state.json"), "{\"version\": 9}", 0600), IsOk());
  auto guard = BrokerGuard::Create(options);
  ASSERT_THAT(guard, IsOk());
  bool warned = false;
  for (const auto& line : (*guard)->log().Drain()) {
    warned = warned || line.text.find("ignoring the state file") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST_F(BrokerGuardTest, AReloadRegrantsOfflineSessionsToo) {
  const std::string rules = Path("acl.toml");
  ASSERT_THAT(
      WriteFileAtomic(rules, "[[allow]]\nrole = \"device\"\nsubscribe = [\"a/{cn}\"]\n", 0644),
      IsOk());
  GuardOptions options;
  options.follower.servers = client::ServerList("https://127.0.0.1:1");
  options.follower.roots = {*ca_.root};
  options.acl_file = rules;
  auto guard = BrokerGuard::Create(options).value();
  int device = 0;
  Connect(*guard, &device, Issue(ca_, "p1", ca::Profile::kDevice), "p1-persist");
  guard->Disconnected(&device);
  EXPECT_TRUE(guard->Check(Ask(&device, "p1-persist", Access::kReceive, "a/p1")).allowed);
  ASSERT_THAT(
      WriteFileAtomic(rules, "[[allow]]\nrole = \"device\"\nsubscribe = [\"b/{cn}\"]\n", 0644),
      IsOk());
  ASSERT_THAT(guard->ReloadAcl(), IsOk());
  EXPECT_FALSE(guard->Check(Ask(&device, "p1-persist", Access::kReceive, "a/p1")).allowed);
  EXPECT_TRUE(guard->Check(Ask(&device, "p1-persist", Access::kReceive, "b/p1")).allowed);
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

// A CA whose store went back (restored from an older copy): read again from 0, and what was
// revoked here stays revoked even if the restored store lost it.
TEST(RevocationListTest, RewindKeepsWhatWasRevokedAndTakesTheFeedAgainFromZero) {
  RevocationList list;
  ASSERT_THAT(list.Apply({5, false, {"aa", "bb"}}), IsOk());
  (void)list.TakeFresh();
  list.Rewind();
  EXPECT_EQ(list.cursor(), 0);
  EXPECT_TRUE(list.IsRevoked("aa"));
  ASSERT_THAT(list.Apply({2, false, {"aa", "cc"}}), IsOk());
  EXPECT_EQ(list.cursor(), 2);
  EXPECT_TRUE(list.IsRevoked("bb"));
  EXPECT_EQ(list.TakeFresh(), std::vector<std::string>{"cc"});  // only the new one is kicked
}

TEST(RevocationListTest, PagesAreFollowedOnlyWhileTheCursorMoves) {
  RevocationList list;
  const auto next = FollowPage(list, {4, true, {"aa"}}, 0);
  ASSERT_THAT(next, IsOk());
  EXPECT_TRUE(*next);
  const auto last = FollowPage(list, {6, false, {"bb"}}, 4);
  ASSERT_THAT(last, IsOk());
  EXPECT_FALSE(*last);
  // "More" with a cursor that does not move: asking again at once would ask forever.
  EXPECT_THAT(FollowPage(list, {6, true, {"cc"}}, 6), ErrorIs(Code::kFailedPrecondition));
  EXPECT_TRUE(list.IsRevoked("cc"));  // what it did carry is kept
  EXPECT_EQ(list.cursor(), 6);
  EXPECT_THAT(FollowPage(list, {5, true, {}}, 6), ErrorIs(Code::kFailedPrecondition));
}

}  // namespace
}  // namespace anchor::mqtt
