// SPDX-License-Identifier: Apache-2.0
// File: repeat_filter_test.cc: which similar lines are written, and what the summaries say.
#include "core/repeat_filter.h"

#include <gtest/gtest.h>

namespace anchor {
namespace {

using std::chrono::seconds;
const RepeatFilter::TimePoint kStart{seconds(1000)};

TEST(RepeatFilterTest, WritesTheBurstThenSuppressesAndSummarisesWhenTheWindowEnds) {
  RepeatFilter filter({.burst = 3, .window = seconds(10), .max_keys = 8});
  int written = 0;
  for (int i = 0; i < 100; ++i) {
    const auto v = filter.Admit("GET other 404", kStart + std::chrono::milliseconds(i));
    written += v.write ? 1 : 0;
    EXPECT_TRUE(v.summaries.empty());
  }
  EXPECT_EQ(written, 3);
  const auto next = filter.Admit("GET other 404", kStart + seconds(11));
  EXPECT_TRUE(next.write);  // a new window
  ASSERT_EQ(next.summaries.size(), 1u);
  EXPECT_EQ(next.summaries[0].key, "GET other 404");
  EXPECT_EQ(next.summaries[0].suppressed, 97u);
}

TEST(RepeatFilterTest, KeysAreCountedApart) {
  RepeatFilter filter({.burst = 1, .window = seconds(10), .max_keys = 8});
  EXPECT_TRUE(filter.Admit("a", kStart).write);
  EXPECT_TRUE(filter.Admit("b", kStart).write);
  EXPECT_FALSE(filter.Admit("a", kStart).write);
  EXPECT_FALSE(filter.Admit("b", kStart).write);
}

TEST(RepeatFilterTest, FlushSaysEveryPendingCountOnce) {
  RepeatFilter filter({.burst = 1, .window = seconds(10), .max_keys = 8});
  for (int i = 0; i < 5; ++i) {
    (void)filter.Admit("k", kStart);
  }
  const auto summaries = filter.Flush(kStart + seconds(1));
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].suppressed, 4u);
  EXPECT_TRUE(filter.Flush(kStart + seconds(2)).empty());
}

TEST(RepeatFilterTest, EndedSaysOnlyTheWindowsThatAreOver) {
  RepeatFilter filter({.burst = 1, .window = seconds(10), .max_keys = 8});
  for (int i = 0; i < 3; ++i) {
    (void)filter.Admit("early", kStart);
  }
  for (int i = 0; i < 4; ++i) {
    (void)filter.Admit("late", kStart + seconds(5));
  }
  EXPECT_TRUE(filter.Ended(kStart + seconds(9)).empty());
  auto ended = filter.Ended(kStart + seconds(10));
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].key, "early");
  EXPECT_EQ(ended[0].suppressed, 2u);
  ended = filter.Ended(kStart + seconds(15));
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].key, "late");
  EXPECT_EQ(ended[0].suppressed, 3u);
  EXPECT_TRUE(filter.Flush(kStart + seconds(16)).empty());  // nothing said twice
}

TEST(RepeatFilterTest, ManyKeysStayBoundedAndLoseNoCount) {
  RepeatFilter filter({.burst = 1, .window = seconds(60), .max_keys = 4});
  uint64_t written = 0;
  uint64_t summarised = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto v = filter.Admit("key" + std::to_string(i % 10), kStart + seconds(i % 2));
    written += v.write ? 1 : 0;
    for (const auto& s : v.summaries) {
      summarised += s.suppressed;
    }
  }
  for (const auto& s : filter.Flush(kStart + seconds(2))) {
    summarised += s.suppressed;
  }
  EXPECT_EQ(written + summarised, 1000u);  // every line written or counted in a summary
}

}  // namespace
}  // namespace anchor
