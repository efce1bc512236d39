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
  ConnectionTable table({/*max_connections=*/3, /*max_handshakes=*/3, /*per_address=*/3});
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

TEST_F(ConnectionTableTest, OneAddressOverItsShareLosesItsOwnOldestHandshake) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/100, /*per_address=*/2});
  Open(table, "10.0.0.9", "other");
  Open(table, "10.0.0.1", "first");
  Open(table, "10.0.0.1", "second");
  EXPECT_NE(Open(table, "10.0.0.1", "third"), 0u) << "the newcomer is admitted";
  EXPECT_EQ(evicted_, std::vector<std::string>{"first"});
  EXPECT_EQ(table.counts().handshakes, 3u);
  EXPECT_EQ(table.counts().evicted, 1u);
}

TEST_F(ConnectionTableTest, ACompletedHandshakeNoLongerCountsAgainstItsAddress) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/100, /*per_address=*/1});
  const auto first = Open(table, "10.0.0.1", "first");
  table.SetPhase(first, Phase::kIdle);
  Open(table, "10.0.0.1", "second");
  EXPECT_TRUE(evicted_.empty());
}

TEST_F(ConnectionTableTest, AFullHandshakeBudgetLosesItsOldestHandshake) {
  ConnectionTable table({/*max_connections=*/100, /*max_handshakes=*/2, /*per_address=*/10});
  Open(table, "10.0.0.1", "a");
  Open(table, "10.0.0.2", "b");
  EXPECT_NE(Open(table, "10.0.0.3", "c"), 0u);
  EXPECT_EQ(evicted_, std::vector<std::string>{"a"});
}

TEST_F(ConnectionTableTest, AtMaxConnectionsTheLongestIdleGivesWay) {
  ConnectionTable table({/*max_connections=*/3, /*max_handshakes=*/3, /*per_address=*/3});
  const auto a = Open(table, "10.0.0.1", "a");
  const auto b = Open(table, "10.0.0.1", "b");
  const auto c = Open(table, "10.0.0.1", "c");
  table.SetPhase(b, Phase::kIdle);  // b idle first, then a: b has been idle the longest
  table.SetPhase(a, Phase::kIdle);
  table.SetPhase(c, Phase::kBusy);
  EXPECT_NE(Open(table, "10.0.0.2", "d"), 0u);
  EXPECT_EQ(evicted_, std::vector<std::string>{"b"});
  table.SetPhase(a, Phase::kBusy);  // a request arrived: a is no longer idle
  table.SetPhase(a, Phase::kIdle);  // ... and answered: idle again, now the newest idle
  EXPECT_EQ(table.counts().idle, 1u);
}

TEST_F(ConnectionTableTest, WhenEveryConnectionIsBusyTheNewcomerIsRefused) {
  ConnectionTable table({/*max_connections=*/2, /*max_handshakes=*/2, /*per_address=*/2});
  table.SetPhase(Open(table, "10.0.0.1", "a"), Phase::kBusy);
  table.SetPhase(Open(table, "10.0.0.2", "b"), Phase::kBusy);
  EXPECT_EQ(Open(table, "10.0.0.3", "c"), 0u);
  EXPECT_TRUE(evicted_.empty()) << "a busy connection never gives way";
  EXPECT_EQ(table.counts().total, 2u);
}

TEST_F(ConnectionTableTest, OneClientFloodingHandshakesCannotCrowdOutAnother) {
  // The h10 case: one address opens connections and never starts TLS.
  ConnectionTable table({/*max_connections=*/1024, /*max_handshakes=*/256, /*per_address=*/32});
  for (int i = 0; i < 1100; ++i) {
    ASSERT_NE(Open(table, "192.0.2.66", "flood"), 0u);
  }
  EXPECT_EQ(table.counts().handshakes, 32u) << "the flood only ever holds its own share";
  const auto other = Open(table, "192.0.2.7", "other");
  ASSERT_NE(other, 0u);
  EXPECT_EQ(std::count(evicted_.begin(), evicted_.end(), "other"), 0);
  table.SetPhase(other, Phase::kIdle);
  EXPECT_EQ(table.counts().idle, 1u);
}

TEST_F(ConnectionTableTest, EvictingAnUnknownOrRemovedConnectionIsHarmless) {
  ConnectionTable table({/*max_connections=*/1, /*max_handshakes=*/1, /*per_address=*/1});
  const auto a = Open(table, "10.0.0.1", "a");
  table.Remove(a);
  table.SetPhase(a, Phase::kIdle);
  EXPECT_NE(Open(table, "10.0.0.1", "b"), 0u);
  EXPECT_TRUE(evicted_.empty());
}

}  // namespace
}  // namespace anchor::server
