// SPDX-License-Identifier: Apache-2.0
#include "http/http_message.h"

#include <gtest/gtest.h>

#include "core/exit_codes.h"

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

TEST(RequestTest, QueryParameterNamesArePercentDecodedToo) {
  Request r;
  r.target = "/api/v1/revocations?%73ince=7&li%6Dit=2&a+b=c&bad%zz=1";
  EXPECT_EQ(r.Query("since"), "7");
  EXPECT_EQ(r.Query("limit"), "2");
  EXPECT_EQ(r.Query("a b"), "c");
  EXPECT_EQ(r.Query("bad"), std::nullopt) << "a malformed name is no name";
  r.target = "/x?since=1&since=2";
  EXPECT_EQ(r.Query("since"), "1") << "the first of repeated parameters";
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
  for (const Code code :
       {Code::kInvalidArgument, Code::kUnauthenticated, Code::kPermissionDenied, Code::kNotFound,
        Code::kUnavailable, Code::kInternal, Code::kUnimplemented}) {
    EXPECT_EQ(CodeForStatus(StatusFor(code)), code) << static_cast<int>(code);
  }
  EXPECT_EQ(CodeForStatus(413), Code::kInvalidArgument);
  EXPECT_EQ(CodeForStatus(502), Code::kUnavailable);
}

// Both tables that map codes are total: a code added to core/error.h without a status or an exit
// code fails here, not in front of a client.
TEST(StatusTest, EveryCodeHasAStatusAndAnExitCode) {
  for (const Code code : kAllCodes) {
    int statuses = 0;
    for (const StatusRow& row : kStatuses) {
      statuses += row.code == code ? 1 : 0;
    }
    EXPECT_EQ(statuses, 1) << CodeName(code) << ": rows in http::kStatuses";
    int exit_codes = 0;
    for (const ExitCodeRow& row : kExitCodes) {
      exit_codes += row.code == code ? 1 : 0;
    }
    EXPECT_EQ(exit_codes, 1) << CodeName(code) << ": rows in kExitCodes";
    const int status = StatusFor(code);
    EXPECT_EQ(status == 200, code == Code::kOk) << CodeName(code);
    EXPECT_TRUE(status == 200 || (status >= 400 && status <= 599)) << CodeName(code);
  }
  EXPECT_EQ(std::size(kStatuses), std::size(kAllCodes));
  EXPECT_EQ(std::size(kExitCodes), std::size(kAllCodes));
}

TEST(StatusTest, TheTransportsRefusalsHaveCodesOfTheirOwn) {
  EXPECT_EQ(StatusFor(Code::kContentTooLarge), 413);
  EXPECT_EQ(StatusFor(Code::kUriTooLong), 414);
  EXPECT_EQ(StatusFor(Code::kUnsupportedMediaType), 415);
  EXPECT_EQ(StatusFor(Code::kHeaderTooLarge), 431);
  EXPECT_EQ(StatusFor(Code::kNotFound), 404);
  EXPECT_EQ(StatusFor(Code::kPermissionDenied), 403);
  EXPECT_EQ(StatusFor(Code::kUnimplemented), 501);
  // A client still reads each as a request to fix (kInvalidArgument), as it always has.
  for (const int status : {413, 414, 415, 431}) {
    EXPECT_EQ(CodeForStatus(status), Code::kInvalidArgument) << status;
  }
  const Response big = ErrorResponse(Error(Code::kContentTooLarge, "the body is too large"));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body, "the body is too large\n");
  EXPECT_TRUE(big.headers.empty());
  EXPECT_TRUE(big.log.empty()) << "a 4xx is the client's to fix; the body says it";
}

TEST(RespondTest, AResponseAsItIsAnErrorByItsCode) {
  EXPECT_EQ(Respond(TextResponse(201, "made")).status, 201);
  const Response refused = Respond(Error(Code::kUnsupportedMediaType, "send JSON"));
  EXPECT_EQ(refused.status, 415);
  EXPECT_EQ(refused.body, "send JSON\n");
  const Response fault = Respond(Error(Code::kInternal, "disk on fire"));
  EXPECT_EQ(fault.status, 500);
  EXPECT_EQ(fault.body, "internal error\n");
  EXPECT_EQ(fault.log, "disk on fire");
}

TEST(StatusTest, TimeoutsAndRateLimitsAreWorthRetrying) {
  EXPECT_EQ(CodeForStatus(408), Code::kUnavailable);
  EXPECT_EQ(CodeForStatus(429), Code::kUnavailable);
  EXPECT_EQ(CodeForStatus(504), Code::kUnavailable);
  EXPECT_EQ(CodeForStatus(400), Code::kInvalidArgument);
  EXPECT_EQ(CodeForStatus(431), Code::kInvalidArgument);
}

TEST(ErrorResponseTest, ChallengesOn401AndHidesInternalDetail) {
  const Response unauth = ErrorResponse(Error(Code::kUnauthenticated, "no token"));
  EXPECT_EQ(unauth.status, 401);
  ASSERT_FALSE(unauth.headers.empty());
  EXPECT_EQ(unauth.headers[0].first, "WWW-Authenticate");
  const Response internal = ErrorResponse(Error(Code::kInternal, "sqlite: disk I/O at /var/x"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.body, "internal error\n");
  EXPECT_EQ(internal.log, "sqlite: disk I/O at /var/x") << "the operator's log says what it was";
}

TEST(ErrorResponseTest, UnavailableIs503WithRetryAfterAndALogLine) {
  const Response full =
      ErrorResponse(Error(Code::kUnavailable, "recording certificate 01: database or disk is full",
                          "extended code 13\nmore"));
  EXPECT_EQ(full.status, 503);
  bool retry_after = false;
  for (const auto& [name, value] : full.headers) {
    retry_after |= name == "Retry-After" && !value.empty();
  }
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(full.log, "recording certificate 01: database or disk is full (extended code 13)");
  EXPECT_TRUE(ErrorResponse(Error(Code::kPermissionDenied, "no")).log.empty())
      << "a 4xx is the client's to fix; the body says it";
}

}  // namespace
}  // namespace anchor::http
