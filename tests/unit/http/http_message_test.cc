// SPDX-License-Identifier: Apache-2.0
#include "http/http_message.h"

#include <gtest/gtest.h>

namespace anchor::http {
namespace {

TEST(RequestTest, PathAndQueryParameters) {
  Request r;
  r.target = "/api/v1/revocations?since=42&limit=10&name=a%20b+c&empty=&flag";
  EXPECT_EQ(r.Path(), "/api/v1/revocations");
  EXPECT_EQ(r.Query("since"), "42");
  EXPECT_EQ(r.Query("name"), "a b c");
  EXPECT_EQ(r.Query("empty"), "");
  EXPECT_EQ(r.Query("flag"), "");
  EXPECT_EQ(r.Query("missing"), std::nullopt);
  EXPECT_EQ(r.Query("sinc"), std::nullopt) << "a prefix of a name is not the name";
}

TEST(PercentDecodeTest, DecodesEscapesAndRefusesMalformedOnes) {
  EXPECT_EQ(PercentDecode("MEUw%2BQ%3D%3d", false), "MEUw+Q==");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%4", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%zz", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%:a", false), std::nullopt);
}

TEST(ParseCountTest, AcceptsOnlyWholeNonNegativeIntegers) {
  EXPECT_EQ(ParseCount("0"), 0);
  EXPECT_EQ(ParseCount("1234"), 1234);
  EXPECT_EQ(ParseCount(""), std::nullopt);
  EXPECT_EQ(ParseCount("-1"), std::nullopt);
  EXPECT_EQ(ParseCount("12x"), std::nullopt);
  EXPECT_EQ(ParseCount("99999999999999999999999"), std::nullopt);
}

TEST(StatusTest, CodeForStatusInvertsStatusFor) {
  for (const Code code : {Code::kInvalidArgument, Code::kUnauthenticated, Code::kPermissionDenied,
                          Code::kNotFound, Code::kUnavailable, Code::kInternal,
                          Code::kUnimplemented}) {
    EXPECT_EQ(CodeForStatus(StatusFor(code)), code) << static_cast<int>(code);
  }
  EXPECT_EQ(CodeForStatus(413), Code::kInvalidArgument);
  EXPECT_EQ(CodeForStatus(502), Code::kUnavailable);
}

TEST(ErrorResponseTest, ChallengesOn401AndHidesInternalDetail) {
  const Response unauth = ErrorResponse(Error(Code::kUnauthenticated, "no token"));
  EXPECT_EQ(unauth.status, 401);
  ASSERT_FALSE(unauth.headers.empty());
  EXPECT_EQ(unauth.headers[0].first, "WWW-Authenticate");
  const Response internal = ErrorResponse(Error(Code::kInternal, "sqlite: disk I/O at /var/x"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.body, "internal error\n");
}

}  // namespace
}  // namespace anchor::http
