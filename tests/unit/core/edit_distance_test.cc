// SPDX-License-Identifier: Apache-2.0
// "did you mean": the distance, and when a name is near enough to suggest.
#include "core/edit_distance.h"

#include <gtest/gtest.h>

namespace anchor {
namespace {

TEST(EditDistanceTest, CountsEachEditOnce) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("issue", "issue"), 0u);
  EXPECT_EQ(EditDistance("isue", "issue"), 1u);    // insertion
  EXPECT_EQ(EditDistance("issuee", "issue"), 1u);  // deletion
  EXPECT_EQ(EditDistance("issua", "issue"), 1u);   // substitution
  EXPECT_EQ(EditDistance("isseu", "issue"), 1u);   // swap of neighbours
  EXPECT_EQ(EditDistance("--sever", "--server"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(EditDistanceTest, ClosestNameSuggestsOnlyWhatIsNear) {
  const std::vector<std::string> commands{"init", "issue", "inspect", "list", "serve", "status"};
  EXPECT_EQ(ClosestName("isue", commands), "issue");
  EXPECT_EQ(ClosestName("inspetc", commands), "inspect");
  EXPECT_EQ(ClosestName("serv", commands), "serve");
  EXPECT_EQ(ClosestName("lsit", commands), "list");
  EXPECT_EQ(ClosestName("frobnicate", commands), std::nullopt);
  EXPECT_EQ(ClosestName("x", commands), std::nullopt);      // one letter is a guess, not a typo
  EXPECT_EQ(ClosestName("issue", commands), std::nullopt);  // not a typo at all
  EXPECT_EQ(ClosestName("--fingerprnt", {"--fingerprint", "--cert"}), "--fingerprint");
}

}  // namespace
}  // namespace anchor
