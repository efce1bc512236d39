// SPDX-License-Identifier: Apache-2.0
#include "names/uri.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::names {
namespace {

struct UriCase {
  const char* name;
  std::string input;
  const char* why;  // empty: accepted
};

const UriCase kUriCases[] = {
    {"ok/urn", "urn:anchor:device:pump-1", ""},
    {"ok/spiffe", "spiffe://fleet.example/ns/prod/sa/pump", ""},
    {"ok/https-port-query-fragment", "https://ca.example.com:8443/a/b?x=1&y=%2F#top", ""},
    {"ok/userinfo", "ftp://user:pw@host.example/file", ""},
    {"ok/ipv6-host", "https://[2001:db8::1]:443/", ""},
    {"ok/mailto", "mailto:user@example.com", ""},
    {"ok/empty-host", "file:///etc/hosts", ""},
    {"ok/sub-delims", "urn:x:a!$&'()*+,;=", ""},
    {"fail/relative", "/just/a/path", "scheme"},
    {"fail/no-scheme", "pump-1", "scheme"},
    {"fail/scheme-digit-first", "1urn:x", "scheme"},
    {"fail/empty-ssp", "urn:", "nothing follows"},
    {"fail/space", "urn:a b", "space"},
    {"fail/tab", "urn:a\tb", "control"},
    {"fail/non-ascii", "urn:caf\xc3\xa9", "non-ASCII"},
    {"fail/bad-percent", "urn:a%zz", "two hex digits"},
    {"fail/short-percent", "urn:a%2", "two hex digits"},
    {"fail/quote", "urn:a\"b", "'\"'"},
    {"fail/angle", "https://h/<script>", "'<'"},
    {"fail/backslash", "https://h\\evil/", "'\\'"},
    {"fail/bad-port", "https://h:80x/", "port"},
    {"fail/bad-ipv6", "https://[zz::1]/", "IPv6"},
    {"fail/two-hashes", "urn:a#b#c", "'#'"},
};

class UriTest : public ::testing::TestWithParam<UriCase> {};

TEST_P(UriTest, Checks) {
  const UriCase& c = GetParam();
  const Status got = CheckUri(c.input);
  if (std::string(c.why).empty()) {
    EXPECT_THAT(got, testing::IsOk());
    return;
  }
  ASSERT_THAT(got, testing::ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(got.error().message().find(c.why), std::string::npos) << got.error().message();
}

INSTANTIATE_TEST_SUITE_P(Names, UriTest, ::testing::ValuesIn(kUriCases), [](const auto& info) {
  return testing::SanitizeTestName(info.param.name);
});

TEST(UriTest, HostOfAnAuthority) {
  EXPECT_EQ(UriHost("https://CA.Example.com:8443/x"), "ca.example.com");
  EXPECT_EQ(UriHost("https://user@h.example/x"), "h.example");
  EXPECT_EQ(UriHost("https://[2001:db8::1]:443/"), "2001:db8::1");
  EXPECT_EQ(UriHost("spiffe://fleet.example/ns"), "fleet.example");
  EXPECT_EQ(UriHost("urn:anchor:device:x"), std::nullopt);
  EXPECT_EQ(UriHost("mailto:user@example.com"), std::nullopt);
}

}  // namespace
}  // namespace anchor::names
