// SPDX-License-Identifier: Apache-2.0
#include "ca/name_rules.h"

#include <gtest/gtest.h>

namespace anchor::ca {
namespace {

TEST(NameRulesTest, SuffixesMatchWholeLabels) {
  EXPECT_TRUE(DnsNameHasSuffix("a.Example.com", "example.com"));
  EXPECT_TRUE(DnsNameHasSuffix("example.com", "example.com"));
  EXPECT_FALSE(DnsNameHasSuffix("badexample.com", "example.com"));
}

TEST(NameRulesTest, CidrRanges) {
  const auto v4 = ParseCidr("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(IpInRange("10.255.0.1", *v4));
  EXPECT_FALSE(IpInRange("11.0.0.1", *v4));
  EXPECT_FALSE(IpInRange("::1", *v4));
  const auto v6 = ParseCidr("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(IpInRange("fd12::1", *v6));
  EXPECT_FALSE(ParseCidr("10.0.0.0/33"));
  EXPECT_FALSE(ParseCidr("nope/8"));
}

TEST(NameRulesTest, DeviceIdsAndCommonNames) {
  EXPECT_TRUE(IsValidDeviceId("sensor-01.eu_west"));
  EXPECT_FALSE(IsValidDeviceId("-sensor"));
  EXPECT_FALSE(IsValidDeviceId("a/b"));
}

}  // namespace
}  // namespace anchor::ca
