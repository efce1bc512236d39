// SPDX-License-Identifier: Apache-2.0
#include "names/ip_address.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::names {
namespace {

struct IpCase {
  const char* name;
  const char* input;
  const char* want;  // empty: refused with `why`
  const char* why;
};

const IpCase kIpCases[] = {
    {"ok/v4", "192.0.2.1", "192.0.2.1", ""},
    {"ok/v6-compressed", "2001:DB8:0:0:0:0:0:1", "2001:db8::1", ""},
    {"ok/v6-leading-zeros", "2001:0db8:0000::0001", "2001:db8::1", ""},
    {"ok/v6-loopback", "::1", "::1", ""},
    {"ok/v6-one-zero-group-not-compressed", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", ""},
    {"ok/v6-longest-run", "2001:0:0:1:0:0:0:1", "2001:0:0:1::1", ""},
    {"ok/v4-mapped", "::FFFF:192.0.2.1", "::ffff:192.0.2.1", ""},
    {"fail/brackets", "[::1]", "", "without brackets (::1)"},
    {"fail/zone", "fe80::1%eth0", "", "zone id (%eth0)"},
    {"fail/prefix", "10.0.0.0/8", "", "is a range"},
    {"fail/short-v4", "127.1", "", "if 127.0.0.1 is meant, write 127.0.0.1"},
    {"fail/octal-v4", "010.0.0.1", "", "if 8.0.0.1 is meant"},
    {"fail/hex-v4", "0x7f.0.0.1", "", "if 127.0.0.1 is meant"},
    {"fail/v4-out-of-range", "256.0.0.1", "", "not an IPv4 or IPv6"},
    {"fail/two-double-colons", "1::2::3", "", "not an IPv4 or IPv6"},
    {"fail/name", "example.com", "", "not an IPv4 or IPv6"},
    {"fail/empty", "", "", "not an IPv4 or IPv6"},
};

class IpAddressTest : public ::testing::TestWithParam<IpCase> {};

TEST_P(IpAddressTest, Normalizes) {
  const IpCase& c = GetParam();
  auto got = NormalizeIpAddress(c.input);
  if (std::string(c.want).empty()) {
    ASSERT_THAT(got, testing::ErrorIs(Code::kInvalidArgument));
    EXPECT_NE(got.error().message().find(c.why), std::string::npos) << got.error().message();
    return;
  }
  ASSERT_THAT(got, testing::IsOk());
  EXPECT_EQ(*got, c.want);
}

INSTANTIATE_TEST_SUITE_P(Names, IpAddressTest, ::testing::ValuesIn(kIpCases), [](const auto& info) {
  return testing::SanitizeTestName(info.param.name);
});

TEST(IpAddressTest, OctetsRoundTrip) {
  const auto v4 = ParseIpAddress("10.1.2.3");
  ASSERT_THAT(v4, testing::IsOk());
  EXPECT_EQ(*v4, (std::vector<uint8_t>{10, 1, 2, 3}));
  EXPECT_EQ(FormatIpAddress(*v4), "10.1.2.3");
  EXPECT_EQ(FormatIpAddress(std::vector<uint8_t>{1, 2, 3}), "");
}

}  // namespace
}  // namespace anchor::names
