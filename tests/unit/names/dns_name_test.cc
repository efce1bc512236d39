// SPDX-License-Identifier: Apache-2.0
#include "names/dns_name.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::names {
namespace {

// DnsCase: `want` is the normal form, or empty when the input is refused with a message that
// contains `why`.
struct DnsCase {
  const char* name;
  std::string input;
  Wildcard wildcard;
  std::string want;
  const char* why;
};

const DnsCase kDnsCases[] = {
    {"ok/plain", "www.example.com", Wildcard::kRefuse, "www.example.com", ""},
    {"ok/lowered", "WWW.Example.COM", Wildcard::kRefuse, "www.example.com", ""},
    {"ok/single-label", "localhost", Wildcard::kRefuse, "localhost", ""},
    {"ok/digit-first-label", "3com.example", Wildcard::kRefuse, "3com.example", ""},
    {"ok/unicode-to-a-label", "münchen.example", Wildcard::kRefuse, "xn--mnchen-3ya.example", ""},
    {"ok/unicode-upper-mapped", "MÜNCHEN.Example", Wildcard::kRefuse, "xn--mnchen-3ya.example", ""},
    {"ok/a-label-kept", "xn--mnchen-3ya.example", Wildcard::kRefuse, "xn--mnchen-3ya.example", ""},
    {"ok/eszett-nontransitional", "faß.de", Wildcard::kRefuse, "xn--fa-hia.de", ""},
    {"ok/wildcard-allowed", "*.example.com", Wildcard::kAllow, "*.example.com", ""},
    {"ok/63-char-label", std::string(63, 'a') + ".example", Wildcard::kRefuse,
     std::string(63, 'a') + ".example", ""},
    {"fail/empty", "", Wildcard::kRefuse, "", "empty"},
    {"fail/64-char-label", std::string(64, 'a') + ".example", Wildcard::kRefuse, "",
     "longer than 63"},
    {"fail/254-chars",
     std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
         std::string(60, 'd') + "." + std::string(10, 'e') + ".example",
     Wildcard::kRefuse, "", "longer than 253"},
    {"fail/underscore", "a_b.example.com", Wildcard::kRefuse, "", "'_'"},
    {"fail/space", "a b.example.com", Wildcard::kRefuse, "", "not allowed"},
    {"fail/leading-hyphen", "-a.example.com", Wildcard::kRefuse, "", "starts or ends with '-'"},
    {"fail/trailing-hyphen", "a-.example.com", Wildcard::kRefuse, "", "starts or ends with '-'"},
    {"fail/double-dot", "a..example.com", Wildcard::kRefuse, "", "empty label"},
    {"fail/leading-dot", ".example.com", Wildcard::kRefuse, "", "empty label"},
    {"fail/trailing-dot", "example.com.", Wildcard::kRefuse, "", "trailing dot"},
    {"fail/wildcard-refused", "*.example.com", Wildcard::kRefuse, "", "wildcard"},
    {"fail/wildcard-not-leftmost", "a.*.example.com", Wildcard::kAllow, "", "left-most"},
    {"fail/partial-wildcard", "w*.example.com", Wildcard::kAllow, "", "left-most"},
    {"fail/double-wildcard", "*.*.example.com", Wildcard::kAllow, "", "left-most"},
    {"fail/bare-wildcard", "*", Wildcard::kAllow, "", "left-most"},
    {"fail/ipv4", "192.0.2.1", Wildcard::kRefuse, "", "write ip:192.0.2.1"},
    {"fail/numeric-tld", "host.123", Wildcard::kRefuse, "", "all digits"},
    {"fail/bad-a-label", "xn--zz.example", Wildcard::kRefuse, "", "not a valid A-label"},
    {"fail/a-label-not-canonical", "xn--MNCHEN-3YA.example", Wildcard::kRefuse,
     "xn--mnchen-3ya.example", ""},
    {"fail/disallowed-code-point", "a\u2665.example", Wildcard::kRefuse, "",
     "cannot be written as an internationalized domain name"},
    {"fail/wildcard-over-a-tld", "*.com", Wildcard::kAllow, "", "two labels or more"},
    {"fail/invalid-utf8",
     "m\xfc"
     "nchen.example",
     Wildcard::kRefuse, "", "UTF-8"},
    {"fail/nul", std::string("a\0b.example", 11), Wildcard::kRefuse, "", "control"},
};

class DnsNameTest : public ::testing::TestWithParam<DnsCase> {};

TEST_P(DnsNameTest, Normalizes) {
  const DnsCase& c = GetParam();
  auto got = NormalizeDnsName(c.input, c.wildcard);
  if (c.want.empty()) {
    ASSERT_THAT(got, testing::ErrorIs(Code::kInvalidArgument));
    EXPECT_NE(got.error().message().find(c.why), std::string::npos) << got.error().message();
    EXPECT_EQ(got.error().message().find('\n'), std::string::npos);
    EXPECT_EQ(got.error().message().find('\0'), std::string::npos);
    return;
  }
  ASSERT_THAT(got, testing::IsOk());
  EXPECT_EQ(*got, c.want);
  EXPECT_TRUE(IsNormalDnsName(*got, c.wildcard));
}

INSTANTIATE_TEST_SUITE_P(Names, DnsNameTest, ::testing::ValuesIn(kDnsCases), [](const auto& info) {
  return testing::SanitizeTestName(info.param.name);
});

TEST(DnsNameTest, NormalFormIsAFixedPoint) {
  EXPECT_TRUE(IsNormalDnsName("a.example", Wildcard::kRefuse));
  EXPECT_FALSE(IsNormalDnsName("A.example", Wildcard::kRefuse));
  EXPECT_FALSE(IsNormalDnsName("münchen.example", Wildcard::kRefuse));
  EXPECT_FALSE(IsNormalDnsName("*.example", Wildcard::kRefuse));
}

}  // namespace
}  // namespace anchor::names
