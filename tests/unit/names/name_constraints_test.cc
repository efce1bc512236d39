// SPDX-License-Identifier: Apache-2.0
#include "names/name_constraints.h"

#include <gtest/gtest.h>

#include "names/ip_address.h"

namespace anchor::names {
namespace {

TEST(NameConstraintsTest, DnsSubtreesAddLabelsOnTheLeft) {
  EXPECT_TRUE(DnsNameWithin("example.com", "example.com"));
  EXPECT_TRUE(DnsNameWithin("www.Example.com", "example.com"));
  EXPECT_TRUE(DnsNameWithin("*.example.com", "example.com"));
  EXPECT_FALSE(DnsNameWithin("badexample.com", "example.com"));
  EXPECT_FALSE(DnsNameWithin("www.example.org", "example.com"));
  EXPECT_FALSE(DnsNameWithin("com", "example.com"));
  EXPECT_TRUE(DnsNameWithin("a.example.com", ".example.com"));
  EXPECT_FALSE(DnsNameWithin("example.com", ".example.com"));
  EXPECT_TRUE(DnsNameWithin("anything", ""));
}

TEST(NameConstraintsTest, MailboxSubtrees) {
  EXPECT_TRUE(MailboxWithin("user@example.com", "user@example.com"));
  EXPECT_FALSE(MailboxWithin("User@example.com", "user@example.com"));  // local part exact
  EXPECT_TRUE(MailboxWithin("user@EXAMPLE.com", "user@example.com"));
  EXPECT_TRUE(MailboxWithin("any@example.com", "example.com"));
  EXPECT_FALSE(MailboxWithin("any@mail.example.com", "example.com"));
  EXPECT_TRUE(MailboxWithin("any@mail.example.com", ".example.com"));
  EXPECT_FALSE(MailboxWithin("any@example.com", ".example.com"));
}

TEST(NameConstraintsTest, UriSubtreesMatchTheHost) {
  EXPECT_TRUE(UriWithin("https://example.com/x", "example.com"));
  EXPECT_FALSE(UriWithin("https://www.example.com/x", "example.com"));
  EXPECT_TRUE(UriWithin("https://www.example.com/x", ".example.com"));
  EXPECT_FALSE(UriWithin("urn:anchor:device:x", "example.com"));  // no host: in no subtree
}

TEST(NameConstraintsTest, IpSubtreesAreAddressAndMask) {
  const std::vector<uint8_t> ten = {10, 0, 0, 0, 255, 0, 0, 0};
  EXPECT_TRUE(IpWithin(ParseIpAddress("10.1.2.3").value(), ten));
  EXPECT_FALSE(IpWithin(ParseIpAddress("11.1.2.3").value(), ten));
  EXPECT_FALSE(IpWithin(ParseIpAddress("::1").value(), ten));  // another family
}

}  // namespace
}  // namespace anchor::names
