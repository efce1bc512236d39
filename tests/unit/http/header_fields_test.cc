// SPDX-License-Identifier: Apache-2.0
// The RFC 9110 grammar of media types, lists and credentials: everything the grammar allows is
// read, and nothing it does not.
#include "http/header_fields.h"

#include <gtest/gtest.h>

#include <string>

namespace anchor::http {
namespace {

struct MediaTypeCase {
  const char* name;
  const char* value;
  bool pkcs10;  // parses and is application/pkcs10
};

constexpr MediaTypeCase kMediaTypeCases[] = {
    {"ok/plain", "application/pkcs10", true},
    {"ok/upper-case", "APPLICATION/PKCS10", true},
    {"ok/mixed-case", "Application/Pkcs10", true},
    {"ok/parameter", "application/pkcs10; charset=us-ascii", true},
    {"ok/ows-before-semicolon", "application/pkcs10 ; charset=us-ascii", true},
    {"ok/tab-around-semicolon", "application/pkcs10\t;\tcharset=us-ascii", true},
    {"ok/no-space-after-semicolon", "application/pkcs10;charset=us-ascii", true},
    {"ok/quoted-value", "application/pkcs10; charset=\"us-ascii\"", true},
    {"ok/quoted-value-with-separators", "application/pkcs10; x=\"a;b, c=d\"", true},
    {"ok/quoted-pair", "application/pkcs10; x=\"a\\\"b\"", true},
    {"ok/two-parameters", "application/pkcs10; a=1; b=2", true},
    {"ok/empty-parameters", "application/pkcs10;;", true},
    {"ok/trailing-semicolon", "application/pkcs10;", true},
    {"ok/surrounding-ows", "  application/pkcs10  ", true},
    {"fail/other-type", "application/pkcs7-mime", false},
    {"fail/prefix-only", "application/pkcs10x", false},
    {"fail/empty", "", false},
    {"fail/no-subtype", "application", false},
    {"fail/empty-subtype", "application/", false},
    {"fail/space-around-slash", "application / pkcs10", false},
    {"fail/space-around-equals", "application/pkcs10; charset = us-ascii", false},
    {"fail/parameter-without-value", "application/pkcs10; charset", false},
    {"fail/empty-value", "application/pkcs10; charset=", false},
    {"fail/unterminated-quote", "application/pkcs10; charset=\"us-ascii", false},
    {"fail/garbage-after-value", "application/pkcs10; a=b c", false},
    {"fail/comma-list", "application/pkcs10, text/plain", false},
    {"fail/control-character", "application/pkcs10; a=\"\x01\"", false},
};

class MediaTypeTest : public ::testing::TestWithParam<MediaTypeCase> {};

TEST_P(MediaTypeTest, ParsesByTheGrammar) {
  EXPECT_EQ(IsMediaType(GetParam().value, "application/pkcs10"), GetParam().pkcs10)
      << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(Rfc9110, MediaTypeTest, ::testing::ValuesIn(kMediaTypeCases),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

TEST(MediaTypeTest, KeepsParametersWithLowerCaseNamesAndUnquotedValues) {
  const auto parsed = ParseMediaType("Text/Plain; Charset=\"UTF-8\"; Format=flowed");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->type, "text");
  EXPECT_EQ(parsed->subtype, "plain");
  EXPECT_EQ(parsed->Parameter("charset"), "UTF-8");
  EXPECT_EQ(parsed->Parameter("FORMAT"), "flowed");
  EXPECT_EQ(parsed->Parameter("missing"), std::nullopt);
  EXPECT_TRUE(parsed->Is("TEXT/plain"));
  EXPECT_FALSE(parsed->Is("text/html"));
}

TEST(SplitListTest, SplitsOnCommasOutsideQuotesAndDropsEmptyElements) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(SplitList("gzip, chunked"), (V{"gzip", "chunked"}));
  EXPECT_EQ(SplitList(" ,gzip,, \tchunked , "), (V{"gzip", "chunked"}));
  EXPECT_EQ(SplitList("a=\"x, y\", b"), (V{"a=\"x, y\"", "b"}));
  EXPECT_EQ(SplitList("a=\"x\\\", y\", b"), (V{"a=\"x\\\", y\"", "b"}));
  EXPECT_EQ(SplitList(""), V{});
  EXPECT_EQ(SplitList(" , ,"), V{});
}

TEST(CredentialsTest, SchemeIsCaseInsensitiveAndFollowedByOneOrMoreSpaces) {
  for (const char* value :
       {"Bearer tok", "bearer tok", "BEARER tok", "Bearer   tok", " Bearer tok "}) {
    const auto c = ParseCredentials(value);
    ASSERT_TRUE(c.has_value()) << value;
    EXPECT_EQ(c->scheme, "bearer") << value;
    EXPECT_EQ(c->token68, "tok") << value;
  }
  const auto basic = ParseCredentials("bAsIc dXNlcjpwYXNz");
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->token68, "dXNlcjpwYXNz");
  const auto bare = ParseCredentials("Bearer");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->token68, "");
}

TEST(CredentialsTest, RefusesAValueWithoutATokenScheme) {
  EXPECT_EQ(ParseCredentials(""), std::nullopt);
  EXPECT_EQ(ParseCredentials("   "), std::nullopt);
  EXPECT_EQ(ParseCredentials("Bear/er tok"), std::nullopt);
  EXPECT_EQ(ParseCredentials("\"Bearer\" tok"), std::nullopt);
}

TEST(TokenTest, TcharsOnly) {
  EXPECT_TRUE(IsToken("chunked"));
  EXPECT_TRUE(IsToken("x-custom_1.0~!#$%&'*+^`|"));
  EXPECT_FALSE(IsToken(""));
  EXPECT_FALSE(IsToken("a b"));
  EXPECT_FALSE(IsToken("a/b"));
  EXPECT_FALSE(IsToken("a\"b"));
}

}  // namespace
}  // namespace anchor::http
