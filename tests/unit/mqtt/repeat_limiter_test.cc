// SPDX-License-Identifier: Apache-2.0
// RepeatLimiter: the same event again within the window is held back, then counted.
#include "plugins/mosquitto/repeat_limiter.h"

#include <gtest/gtest.h>

#include "testlib/test_ca.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::kReferenceTime;
using std::chrono::seconds;

TEST(RepeatLimiterTest, TheFirstOfAKindPassesItsRepeatsAreHeldThenCounted) {
  RepeatLimiter limiter(seconds(60));
  EXPECT_EQ(limiter.Pass("denied a", kReferenceTime), "");
  for (int i = 1; i < 60; ++i) {
    EXPECT_EQ(limiter.Pass("denied a", kReferenceTime + seconds(i)), std::nullopt) << i;
  }
  EXPECT_EQ(limiter.Pass("denied b", kReferenceTime + seconds(1)), "");  // another kind
  EXPECT_EQ(limiter.Pass("denied a", kReferenceTime + seconds(60)),
            " (59 more like it in the last 60 s not logged)");
  // Nothing held back since: the next one after the window has no count.
  EXPECT_EQ(limiter.Pass("denied a", kReferenceTime + seconds(121)), "");
}

TEST(RepeatLimiterTest, ManyKindsAreBoundedAndAForgottenKindIsLoggedAgain) {
  RepeatLimiter limiter(seconds(60));
  for (size_t i = 0; i <= RepeatLimiter::kMaxKeys; ++i) {
    ASSERT_EQ(limiter.Pass("kind " + std::to_string(i), kReferenceTime), "");
  }
  // The table was full of kinds still in their window: it was cleared, so kind 0 is new again.
  EXPECT_EQ(limiter.Pass("kind 0", kReferenceTime + seconds(1)), "");
}

}  // namespace
}  // namespace anchor::mqtt
