// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "core/error.h"
#include "testlib/matchers.h"

namespace anchor {
namespace {

using testing::ErrorIs;
using testing::IsOk;

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return Error(Code::kInvalidArgument, "odd");
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  ANCHOR_ASSIGN_OR_RETURN(int h, Half(x));
  ANCHOR_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  ANCHOR_TRY(Half(x));
  return OkStatus();
}

TEST(ResultTest, PropagatesValues) {
  EXPECT_THAT(Quarter(8), IsOk());
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_THAT(CheckEven(4), IsOk());
}

TEST(ResultTest, PropagatesTheFirstError) {
  EXPECT_THAT(Quarter(6), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckEven(3), ErrorIs(Code::kInvalidArgument));
}

TEST(ErrorTest, PrefixedKeepsTheCode) {
  const Error e = Error(Code::kNotFound, "gone").Prefixed("file.pem");
  EXPECT_EQ(e.code(), Code::kNotFound);
  EXPECT_EQ(e.message(), "file.pem: gone");
}

}  // namespace
}  // namespace anchor
