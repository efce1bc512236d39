// SPDX-License-Identifier: Apache-2.0
// Who gives way when a connection needs room: handshakes of one address, then handshakes of
// everyone, then idle connections; a busy connection never does.
#include "server/connection_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace anchor::server {
namespace {

using Phase = ConnectionTable::Phase;

class ConnectionTableTest : public ::testing::Test {
 protected:
  // Open admits a connection from `address` that records its eviction under `name`.
  ConnectionTable::Id Open(ConnectionTable& table, const std::string& address,
                           const std::string& name) {
    return table.Admit(address, [this, name] { evicted_.push_back(name); });
  }
  std::vector<std::string> evicted_;
};

TEST_F(ConnectionTableTest, AdmitsWithinTheLimitsAndForgetsClosedConnections) {
  ConnectionTable table({/*max_connections=*/6, /*max_handshakes=*/3, /*share=*/3});
  const auto a = Open(table, "10.0.0.1", "a");
  const auto b = Open(table, "10.0.0.2", "b");
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, a);
  EXPECT_EQ(table.counts().total, 2u);
  EXPECT_EQ(table.counts().handshakes, 2u);
  table.SetPhase(a, Phase::kBusy);
  EXPECT_EQ(table.counts().handshakes, 1u);
  table.Remove(a);
  table.Remove(a);  // twice: ignored
  EXPECT_EQ(table.counts().total, 1u);
  EXPECT_TRUE(evicted_.empty());
}

TEST_F(ConnectionTableTest, ABurstFromOneAddressIsNotCutShortWhileThereIsRoom) {
  // A NAT or a fleet restarting at once: many handshakes from one address, within the budget.
  ConnectionTable table({/*max_connections=*/1024, /*max_handshakes=*/256, /*share=*/32});
  for (int i = 0; i < 200; ++i) {
    ASSERT_NE(Open(table, "10.0.0.1", "burst"), 0u);
  }
  EXPECT_TRUE(evicted_.empty());
  EXPECT_EQ(table.counts().handshakes, 200u);
}

TEST_F(ConnectionTableTest, WhenTheBudgetIsSpentTheAddressOverItsShareLosesItsOldest) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/4, /*share=*/1});
  Open(table, "10.0.0.9", "other");  // the oldest of all, but its address is within its share
  Open(table, "10.0.0.1", "first");
  Open(table, "10.0.0.1", "second");
  Open(table, "10.0.0.1", "third");
  EXPECT_NE(Open(table, "10.0.0.7", "new"), 0u) << "the newcomer is admitted";
  EXPECT_EQ(evicted_, std::vector<std::string>{"first"});
  EXPECT_EQ(table.counts().handshakes, 4u);
  EXPECT_EQ(table.counts().evicted, 1u);
}

TEST_F(ConnectionTableTest, ASilentConnectionGivesWayBeforeAHandshakeInProgress) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/3, /*share=*/100});
  table.SetPhase(Open(table, "10.0.0.1", "active-1"), Phase::kHandshake);
  table.SetPhase(Open(table, "10.0.0.2", "active-2"), Phase::kHandshake);
  Open(table, "10.0.0.3", "silent");  // the newest, but it has sent nothing
  EXPECT_NE(Open(table, "10.0.0.4", "new"), 0u);
  EXPECT_EQ(evicted_, std::vector<std::string>{"silent"});
  EXPECT_EQ(table.counts().silent, 1u) << "only the newcomer";
}

TEST_F(ConnectionTableTest, WithNoSilentConnectionTheOldestHandshakeGivesWay) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/2, /*share=*/100});
  const auto a = Open(table, "10.0.0.1", "a");
  const auto b = Open(table, "10.0.0.2", "b");
  table.SetPhase(b, Phase::kHandshake);
  table.SetPhase(a, Phase::kHandshake);  // a keeps its place: it is still the oldest
  Open(table, "10.0.0.3", "c");
  EXPECT_EQ(evicted_, std::vector<std::string>{"a"});
}

TEST_F(ConnectionTableTest, ACompletedHandshakeNoLongerCountsAgainstItsAddress) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/2, /*share=*/1});
  const auto first = Open(table, "10.0.0.1", "first");
  table.SetPhase(first, Phase::kIdle);
  Open(table, "10.0.0.1", "second");
  Open(table, "10.0.0.2", "third");
  EXPECT_TRUE(evicted_.empty());
}

TEST_F(ConnectionTableTest, WithNoAddressOverItsShareTheOldestHandshakeGivesWay) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/2, /*share=*/10});
  Open(table, "10.0.0.1", "a");
  Open(table, "10.0.0.2", "b");
  EXPECT_NE(Open(table, "10.0.0.3", "c"), 0u);
  EXPECT_EQ(evicted_, std::vector<std::string>{"a"});
}

TEST_F(ConnectionTableTest, AtMaxConnectionsTheLongestIdleGivesWay) {
  ConnectionTable table({/*max_connections=*/3, /*max_handshakes=*/3, /*share=*/3});
  const auto a = Open(table, "10.0.0.1", "a");
  table.SetPhase(a, Phase::kBusy);
  const auto b = Open(table, "10.0.0.1", "b");
  table.SetPhase(b, Phase::kIdle);  // b idle first, then a: b has been idle the longest
  table.SetPhase(a, Phase::kIdle);
  table.SetPhase(Open(table, "10.0.0.1", "c"), Phase::kBusy);
  EXPECT_NE(Open(table, "10.0.0.2", "d"), 0u);
  EXPECT_EQ(evicted_, std::vector<std::string>{"b"});
  table.SetPhase(a, Phase::kBusy);  // a request arrived: a is no longer idle
  table.SetPhase(a, Phase::kIdle);  // ... and answered: idle again, now the newest idle
  EXPECT_EQ(table.counts().idle, 1u);
}

TEST_F(ConnectionTableTest, AHandshakeFloodNeverPushesOutAnEstablishedClient) {
  // Handshakes may take at most half of the connections, whatever max_handshakes says.
  ConnectionTable table({/*max_connections=*/4, /*max_handshakes=*/100, /*share=*/100});
  const auto client = Open(table, "10.0.0.1", "client");
  table.SetPhase(client, Phase::kIdle);
  for (int i = 0; i < 50; ++i) {
    ASSERT_NE(Open(table, "10.0.0.66", "flood"), 0u);
  }
  EXPECT_EQ(std::count(evicted_.begin(), evicted_.end(), "client"), 0);
  EXPECT_EQ(table.counts().handshakes, 2u);
  EXPECT_EQ(table.counts().idle, 1u);
}

TEST_F(ConnectionTableTest, WhenEveryConnectionIsBusyTheNewcomerIsRefused) {
  ConnectionTable table({/*max_connections=*/2, /*max_handshakes=*/2, /*share=*/2});
  table.SetPhase(Open(table, "10.0.0.1", "a"), Phase::kBusy);
  table.SetPhase(Open(table, "10.0.0.2", "b"), Phase::kBusy);
  EXPECT_EQ(Open(table, "10.0.0.3", "c"), 0u);
  EXPECT_TRUE(evicted_.empty()) << "a busy connection never gives way";
  EXPECT_EQ(table.counts().total, 2u);
}

TEST_F(ConnectionTableTest, OneClientFloodingHandshakesCannotCrowdOutAnother) {
  // The h10 case: one address opens connections and never starts TLS; others keep theirs.
  ConnectionTable table({/*max_connections=*/1024, /*max_handshakes=*/256, /*share=*/32});
  const auto early = Open(table, "192.0.2.7", "early");
  for (int i = 0; i < 1100; ++i) {
    ASSERT_NE(Open(table, "192.0.2.66", "flood"), 0u);
  }
  EXPECT_EQ(table.counts().handshakes, 256u);
  EXPECT_EQ(std::count(evicted_.begin(), evicted_.end(), "early"), 0)
      << "the oldest handshake of all, but from an address within its share";
  const auto late = Open(table, "192.0.2.7", "late");
  ASSERT_NE(late, 0u);
  EXPECT_EQ(std::count(evicted_.begin(), evicted_.end(), "flood"), 1100 + 2 - 256);
  table.SetPhase(early, Phase::kIdle);
  table.SetPhase(late, Phase::kIdle);
  EXPECT_EQ(table.counts().idle, 2u);
}

TEST_F(ConnectionTableTest, AFloodFromTheProbesOwnAddressStillLetsTheNewestIn) {
  // h10 as the regression has it: the flood and the probe share 127.0.0.1.
  ConnectionTable table({/*max_connections=*/1024, /*max_handshakes=*/256, /*share=*/32});
  for (int i = 0; i < 1100; ++i) {
    ASSERT_NE(Open(table, "127.0.0.1", "flood"), 0u);
  }
  const auto probe = Open(table, "127.0.0.1", "probe");
  ASSERT_NE(probe, 0u);
  EXPECT_EQ(std::count(evicted_.begin(), evicted_.end(), "probe"), 0);
  EXPECT_EQ(table.counts().handshakes, 256u);
}

TEST_F(ConnectionTableTest, EvictingAnUnknownOrRemovedConnectionIsHarmless) {
  ConnectionTable table({/*max_connections=*/1, /*max_handshakes=*/1, /*share=*/1});
  const auto a = Open(table, "10.0.0.1", "a");
  table.Remove(a);
  table.SetPhase(a, Phase::kIdle);
  EXPECT_NE(Open(table, "10.0.0.1", "b"), 0u);
  EXPECT_TRUE(evicted_.empty());
}

}  // namespace
}  // namespace anchor::server
