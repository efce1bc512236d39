// SPDX-License-Identifier: Apache-2.0
// StateChangeLog: a repeated operation is logged when its state changes, not per attempt.
#include "plugins/mosquitto/state_change_log.h"

#include <gtest/gtest.h>

#include "testlib/test_ca.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::kReferenceTime;
using std::chrono::seconds;

TEST(StateChangeLogTest, TheFirstOutcomeIsLoggedWhateverItIs) {
  StateChangeLog ok;
  EXPECT_EQ(ok.Succeeded(kReferenceTime, "following"), "following");
  EXPECT_EQ(ok.Succeeded(kReferenceTime + seconds(1), "following"), std::nullopt);
  StateChangeLog bad;
  EXPECT_EQ(bad.Failed(kReferenceTime, "cannot write"), "cannot write");
  EXPECT_TRUE(bad.failing());
}

TEST(StateChangeLogTest, FourFailuresASecondForAMinuteAreOneLineThenOneOnRecovery) {
  StateChangeLog log(seconds(600), seconds(10));
  Clock::time_point t = kReferenceTime;
  EXPECT_EQ(log.Succeeded(t, "wrote"), "wrote");
  int lines = 0;
  for (int i = 0; i < 240; ++i) {  // every 250 ms for 60 s
    t += std::chrono::milliseconds(250);
    lines += log.Failed(t, "cannot write x: permission denied").has_value() ? 1 : 0;
  }
  EXPECT_EQ(lines, 1);
  const auto back = log.Succeeded(t + seconds(1), "wrote x again");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, "wrote x again (after 240 attempts failed since 2026-01-01T00:00:00Z)");
  EXPECT_FALSE(log.failing());
  EXPECT_EQ(log.Succeeded(t + seconds(2), "wrote x again"), std::nullopt);
}

TEST(StateChangeLogTest, ALastingFailureIsRemindedOfAtTheIntervalWithItsCount) {
  StateChangeLog log(seconds(600), seconds(10));
  ASSERT_TRUE(log.Failed(kReferenceTime, "down").has_value());
  EXPECT_EQ(log.Failed(kReferenceTime + seconds(599), "down"), std::nullopt);
  EXPECT_EQ(log.Failed(kReferenceTime + seconds(600), "down"),
            "down (still failing: 3 attempts since 2026-01-01T00:00:00Z)");
  EXPECT_EQ(log.Failed(kReferenceTime + seconds(601), "down"), std::nullopt);
}

TEST(StateChangeLogTest, ANewCauseIsLoggedButNotSoonerThanTheGap) {
  StateChangeLog log(seconds(600), seconds(10));
  ASSERT_TRUE(log.Failed(kReferenceTime, "refused").has_value());
  // Two causes alternating every second: at most one line per gap.
  int lines = 0;
  for (int i = 1; i <= 60; ++i) {
    lines += log.Failed(kReferenceTime + seconds(i), i % 2 ? "timeout" : "refused").has_value();
  }
  EXPECT_LE(lines, 6);
  EXPECT_GE(lines, 1);
}

}  // namespace
}  // namespace anchor::mqtt
