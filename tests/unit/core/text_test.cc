// SPDX-License-Identifier: Apache-2.0
#include "core/text.h"

#include <gtest/gtest.h>

namespace anchor {
namespace {

TEST(TextTest, HexRoundTrip) {
  const std::vector<uint8_t> bytes = {0x00, 0xab, 0x7f};
  EXPECT_EQ(HexEncode(bytes), "00ab7f");
  EXPECT_EQ(HexEncode(bytes, ':'), "00:ab:7f");
  std::vector<uint8_t> out;
  ASSERT_TRUE(HexDecode("00:AB:7f", out));
  EXPECT_EQ(out, bytes);
}

TEST(TextTest, HexDecodeRejectsGarbage) {
  std::vector<uint8_t> out;
  EXPECT_FALSE(HexDecode("abc", out));  // odd length
  EXPECT_FALSE(HexDecode("zz", out));
  EXPECT_FALSE(HexDecode("", out));
}

TEST(TextTest, SplitListTrimsItemsAndKeepsEmptyOnes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SplitList("a", ','), V{"a"});
  EXPECT_EQ(SplitList("a, b ,\tc", ','), (V{"a", "b", "c"}));
  EXPECT_EQ(SplitList("a,,b", ','), (V{"a", "", "b"}));  // for the caller to refuse
  EXPECT_EQ(SplitList("a,", ','), (V{"a", ""}));
  EXPECT_EQ(SplitList("", ','), V{""});
  EXPECT_EQ(SplitList(" ", ','), V{""});
}

}  // namespace
}  // namespace anchor
