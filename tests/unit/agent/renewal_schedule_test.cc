// SPDX-License-Identifier: Apache-2.0
#include "agent/renewal_schedule.h"

#include <gtest/gtest.h>

#include <set>

#include "testlib/test_rng.h"

namespace anchor::agent {
namespace {

TEST(RenewalScheduleTest, RenewsAtTheGivenShareOfTheLifetime) {
  const Clock::time_point nb = FromUnixSeconds(1000);
  const Clock::time_point na = FromUnixSeconds(1000 + 90 * 86400);
  EXPECT_EQ(RenewalTime(nb, na, kDefaultRenewAt), FromUnixSeconds(1000 + 60 * 86400));
  EXPECT_EQ(RenewalTime(nb, na, 0.0), nb);
  EXPECT_EQ(RenewalTime(nb, na, 1.0), na);
  EXPECT_EQ(RenewalTime(nb, na, 7.0), na) << "clamped";
}

TEST(RenewalScheduleTest, RetryDelayGrowsWithJitterAndIsCapped) {
  anchor::testing::TestRng rng(7);
  for (int failures = 1; failures <= 20; ++failures) {
    const int64_t full = std::min<int64_t>(5LL << std::min(failures - 1, 20), 3600);
    for (int i = 0; i < 50; ++i) {
      const auto d = RetryDelay(failures, rng).count();
      EXPECT_GE(d, full / 2) << failures;
      EXPECT_LE(d, full) << failures;
    }
  }
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) {
    seen.insert(RetryDelay(10, rng).count());
  }
  EXPECT_GT(seen.size(), 10u) << "a fleet must not retry in lockstep";
  std::set<int64_t> first;
  for (int i = 0; i < 100; ++i) {
    first.insert(RetryDelay(1, rng).count());
  }
  EXPECT_EQ(first, (std::set<int64_t>{2, 3, 4, 5})) << "the first retry: [5/2, 5] in whole seconds";
}

}  // namespace
}  // namespace anchor::agent
