// SPDX-License-Identifier: Apache-2.0
#include "names/common_name.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::names {
namespace {

using testing::ErrorIs;
using testing::IsOk;

TEST(CommonNameTest, AcceptsPrintableUnicodeUpTo64Characters) {
  EXPECT_THAT(CheckCommonName("device-01"), IsOk());
  EXPECT_THAT(CheckCommonName("Pumpe Straße 5"), IsOk());
  EXPECT_THAT(CheckCommonName(std::string(64, 'a')), IsOk());
  // 64 characters of two bytes each: the limit counts characters, not bytes.
  std::string wide;
  for (int i = 0; i < 64; ++i) {
    wide += "ä";
  }
  EXPECT_THAT(CheckCommonName(wide), IsOk());
}

TEST(CommonNameTest, RefusesWhatWouldReadDifferently) {
  EXPECT_THAT(CheckCommonName(""), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckCommonName(std::string(65, 'a')), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckCommonName(std::string("a\0b", 3)), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckCommonName("a\nb"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckCommonName("a\x7f"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckCommonName("a\xc2\x85"), ErrorIs(Code::kInvalidArgument));  // NEL, a C1 control
  EXPECT_THAT(CheckCommonName("\xe2\x80\xae"
                              "abc"),
              ErrorIs(Code::kInvalidArgument));  // U+202E
  EXPECT_THAT(CheckCommonName("\xff\xfe"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckCommonName("\xc0\xaf"), ErrorIs(Code::kInvalidArgument));      // overlong '/'
  EXPECT_THAT(CheckCommonName("\xed\xa0\x80"), ErrorIs(Code::kInvalidArgument));  // surrogate
  const Status st = CheckCommonName("a\nb");
  EXPECT_EQ(st.error().message().find('\n'), std::string::npos) << "one line";
}

}  // namespace
}  // namespace anchor::names
