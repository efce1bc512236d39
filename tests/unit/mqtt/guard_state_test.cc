// SPDX-License-Identifier: Apache-2.0
// The plugin's state file: what it writes reads back, and what it did not write is refused
// whole (it also comes from disk, so fuzz/mqtt_policy_fuzzer.cc feeds it garbage).
#include "plugins/mosquitto/guard_state.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "plugins/mosquitto/retained_ledger.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(GuardStateTest, ReadsBackWhatItWrote) {
  GuardState state;
  state.sessions.push_back({"sensor-17", {"dev-a", "0a1b", {}, {"urn:anchor:device:dev-a"}}});
  state.retained.push_back({"devices/dev-a/status", {{RetainedDigest(Bytes("online")), "0a1b"}}});
  state.identities = {"dev-a", "dev-b"};
  const auto parsed = ParseGuardState(SerializeGuardState(state));
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->sessions.size(), 1u);
  EXPECT_EQ(parsed->sessions[0].client_id, "sensor-17");
  EXPECT_EQ(parsed->sessions[0].who.common_name, "dev-a");
  EXPECT_EQ(parsed->sessions[0].who.serial, "0a1b");
  EXPECT_EQ(parsed->sessions[0].who.uris, std::vector<std::string>{"urn:anchor:device:dev-a"});
  ASSERT_EQ(parsed->retained.size(), 1u);
  EXPECT_EQ(parsed->retained[0].first, "devices/dev-a/status");
  EXPECT_EQ(parsed->retained[0].second[0].digest, RetainedDigest(Bytes("online")));
  EXPECT_EQ(parsed->identities, (std::vector<std::string>{"dev-a", "dev-b"}));
}

TEST(GuardStateTest, ReadsAVersion1FileWithoutIdentities) {
  const auto parsed = ParseGuardState(
      R"({"version":1,"sessions":[{"client_id":"x","cn":"dev-a","serial":"0a","uris":[]}],)"
      R"("retained":[]})");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->sessions.size(), 1u);
  EXPECT_TRUE(parsed->identities.empty());  // the registry knows dev-a from its session
}

constexpr const char* kBadStates[] = {
    "",
    "[]",
    R"({"version":3,"sessions":[],"retained":[],"identities":[]})",
    R"({"version":2,"sessions":[],"retained":[]})",
    R"({"version":2,"sessions":[],"retained":[],"identities":{}})",
    R"({"version":2,"sessions":[],"retained":[],"identities":[7]})",
    R"({"version":2,"sessions":[],"retained":[],"identities":[""]})",
    R"({"version":1,"sessions":{},"retained":[]})",
    R"({"version":1,"sessions":[{"client_id":"x","cn":"a","serial":"0A","uris":[]}],"retained":[]})",
    R"({"version":1,"sessions":[{"client_id":"","cn":"a","serial":"0a","uris":[]}],"retained":[]})",
    R"({"version":1,"sessions":[{"client_id":"x","cn":"a","serial":"0a","uris":[7]}],"retained":[]})",
    R"({"version":1,"sessions":[],"retained":[{"topic":"t","publishers":[{"digest":"00","serial":"0a"}]}]})",
    R"({"version":1,"sessions":[],"retained":[{"topic":"","publishers":[]}]})",
    R"({"version":1,"sessions":[],"retained":[{"topic":"t","publishers":[{"digest":"zz000000000000000000000000000000","serial":"0a"}]}]})",
};

TEST(GuardStateTest, RefusesAnythingItDidNotWrite) {
  for (const char* bad : kBadStates) {
    EXPECT_THAT(ParseGuardState(bad), ErrorIs(Code::kInvalidArgument)) << bad;
  }
}

class StateWriterTest : public anchor::testing::TempDirTest {};

// A state file that cannot be written is one line however often the broker's tick submits it,
// and one more when it can be written again.
TEST_F(StateWriterTest, AnUnwritableFileIsLoggedOnceAndItsRecoveryOnce) {
  LogQueue log;
  const std::string path = Path("missing-dir/state.json");
  StateWriter writer(path, log);
  for (int i = 0; i < 20; ++i) {
    writer.Submit("{}\n");
    writer.Flush();
  }
  std::vector<LogQueue::Line> lines = log.Drain();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].level, LogQueue::Level::kWarning);
  EXPECT_NE(lines[0].text.find("cannot write the plugin's state file: cannot create a temporary "
                               "file for " +
                               path),
            std::string::npos)
      << lines[0].text;
  std::filesystem::create_directories(Path("missing-dir"));
  for (int i = 0; i < 3; ++i) {
    writer.Submit("{}\n");
    writer.Flush();
  }
  lines = log.Drain();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("wrote the plugin's state file " + path + " again (after "),
            std::string::npos)
      << lines[0].text;
}

TEST(RetainedLedgerTest, TellsWhichPublishARetainedMessageCameFrom) {
  RetainedLedger ledger;
  ledger.Record("t", Bytes("p1"), "0a");
  ledger.Record("t", Bytes("p2"), "0b");  // perhaps never stored (QoS 2 without PUBREL)
  ASSERT_NE(ledger.PublisherOf("t", Bytes("p1")), nullptr);
  EXPECT_EQ(*ledger.PublisherOf("t", Bytes("p1")), "0a");
  EXPECT_EQ(*ledger.PublisherOf("t", Bytes("p2")), "0b");
  EXPECT_EQ(ledger.PublisherOf("t", Bytes("p3")), nullptr);
  EXPECT_EQ(ledger.PublisherOf("u", Bytes("p1")), nullptr);

  ledger.Record("t", Bytes("p1"), "0c");  // the same payload again, by another certificate
  EXPECT_EQ(*ledger.PublisherOf("t", Bytes("p1")), "0c");
  ledger.Record("t", Bytes("p4"), "0d");  // only the latest kPublishersPerTopic are kept
  EXPECT_EQ(ledger.PublisherOf("t", Bytes("p2")), nullptr);
  EXPECT_TRUE(ledger.TakeChanged());
  EXPECT_FALSE(ledger.TakeChanged());

  ledger.Record("t", Bytes(""), "0e");  // MQTT 3.1.1 section 3.3.1.3: removes the retained one
  EXPECT_FALSE(ledger.Knows("t"));
  EXPECT_TRUE(ledger.TakeChanged());
}

}  // namespace
}  // namespace anchor::mqtt
