// SPDX-License-Identifier: Apache-2.0
// RFC 9112 checks of a request's head: message framing (Transfer-Encoding, Content-Length), Host,
// the length of the target, and the absolute-form target.
#include "http/request_checks.h"

#include <gtest/gtest.h>

#include <string>

namespace anchor::http {
namespace {

struct FramingCase {
  const char* name;
  unsigned version;
  const char* transfer_encoding;  // nullptr: no such field
  bool content_length;
  int status;  // 0: acceptable
};

constexpr FramingCase kFramingCases[] = {
    {"ok/no-body-framing", 11, nullptr, false, 0},
    {"ok/content-length", 11, nullptr, true, 0},
    {"ok/chunked", 11, "chunked", false, 0},
    {"ok/chunked-any-case", 11, "Chunked", false, 0},
    {"ok/chunked-with-empty-elements", 11, " , chunked ,", false, 0},
    {"ok/http10-content-length", 10, nullptr, true, 0},
    {"fail/gzip-alone", 11, "gzip", false, 400},
    {"fail/not-quite-chunked", 11, "xchunked", true, 400},
    {"fail/chunked-then-gzip", 11, "chunked, gzip", false, 400},
    {"fail/empty", 11, "", false, 400},
    {"fail/chunked-twice", 11, "chunked, chunked", false, 400},
    {"fail/chunked-with-parameter", 11, "chunked;x=1", false, 400},
    {"fail/chunked-and-content-length", 11, "chunked", true, 400},
    {"fail/http10-transfer-encoding", 10, "chunked", false, 400},
    {"fail/unknown-coding-before-chunked", 11, "gzip, chunked", false, 501},
};

class FramingTest : public ::testing::TestWithParam<FramingCase> {};

TEST_P(FramingTest, AcceptsOnlyFramingThatCannotBeReadTwoWays) {
  const FramingCase& c = GetParam();
  RequestHead head;
  head.version = c.version;
  head.target = "/ocsp";
  head.host_fields = 1;
  head.has_content_length = c.content_length;
  if (c.transfer_encoding != nullptr) {
    head.transfer_encoding = c.transfer_encoding;
  }
  const std::optional<Response> refusal = CheckRequestHead(head);
  if (c.status == 0) {
    EXPECT_FALSE(refusal.has_value()) << refusal->body;
    return;
  }
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, c.status);
  EXPECT_TRUE(refusal->close) << "the rest of the connection cannot be trusted";
  EXPECT_EQ(refusal->body.find('\n'), refusal->body.size() - 1) << "one line: " << refusal->body;
}

INSTANTIATE_TEST_SUITE_P(Rfc9112, FramingTest, ::testing::ValuesIn(kFramingCases),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

TEST(HostTest, Http11NeedsExactlyOneHost) {
  RequestHead head;
  head.target = "/healthz";
  head.host_fields = 1;
  EXPECT_FALSE(CheckRequestHead(head).has_value());
  head.host_fields = 0;
  ASSERT_TRUE(CheckRequestHead(head).has_value());
  EXPECT_EQ(CheckRequestHead(head)->status, 400);
  head.host_fields = 2;
  ASSERT_TRUE(CheckRequestHead(head).has_value());
  EXPECT_EQ(CheckRequestHead(head)->status, 400);
  head.version = 10;  // HTTP/1.0 had no Host: none is fine, two are not
  head.host_fields = 0;
  EXPECT_FALSE(CheckRequestHead(head).has_value());
  head.host_fields = 2;
  EXPECT_TRUE(CheckRequestHead(head).has_value());
}

TEST(TargetTest, LongTargetsAre414) {
  const std::string longest = "/" + std::string(kMaxTargetBytes - 1, 'a');
  RequestHead head;
  head.host_fields = 1;
  head.target = longest;
  EXPECT_FALSE(CheckRequestHead(head).has_value());
  const std::string too_long = longest + "a";
  head.target = too_long;
  ASSERT_TRUE(CheckRequestHead(head).has_value());
  EXPECT_EQ(CheckRequestHead(head)->status, 414);
}

TEST(HeadTooLargeTest, TellsALongRequestLineFromLongFields) {
  EXPECT_EQ(HeadTooLarge(/*request_line_read=*/false).status, 414);
  const Response fields = HeadTooLarge(/*request_line_read=*/true);
  EXPECT_EQ(fields.status, 431);
  EXPECT_TRUE(fields.close);
  EXPECT_NE(fields.body.find("KiB"), std::string::npos) << fields.body;
}

TEST(OriginFormTest, StripsTheSchemeAndAuthorityOfAnAbsoluteFormTarget) {
  EXPECT_EQ(OriginForm("/healthz"), "/healthz");
  EXPECT_EQ(OriginForm("/api/v1/revocations?since=1"), "/api/v1/revocations?since=1");
  EXPECT_EQ(OriginForm("https://ca.example:8443/healthz"), "/healthz");
  EXPECT_EQ(OriginForm("HTTP://ca.example/ocsp/MEIw"), "/ocsp/MEIw");
  EXPECT_EQ(OriginForm("https://ca.example:8443"), "/");
  EXPECT_EQ(OriginForm("https://ca.example?x=1"), "/?x=1");
}

TEST(OriginFormTest, LeavesOtherFormsForTheRouterToRefuse) {
  EXPECT_EQ(OriginForm("*"), "*");
  EXPECT_EQ(OriginForm("ca.example:443"), "ca.example:443");
  EXPECT_EQ(OriginForm("not a/scheme://x/y"), "not a/scheme://x/y");
  EXPECT_EQ(OriginForm(""), "");
}

}  // namespace
}  // namespace anchor::http
