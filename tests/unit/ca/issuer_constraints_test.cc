// SPDX-License-Identifier: Apache-2.0
#include "ca/issuer_constraints.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::LoadFixture;

NameRequest Names(const std::string& cn, std::vector<const char*> sans) {
  NameRequest n{cn, {}};
  for (const char* s : sans) {
    n.sans.push_back(crypto::ParseGeneralName(s).value());
  }
  return n;
}

struct ConstraintCase {
  const char* name;
  const char* ca;  // fixture under tests/data/lint
  std::string cn;
  std::vector<const char*> sans;
  const char* why;  // empty: admitted
};

const ConstraintCase kCases[] = {
    {"ok/dns-equal", "nc-ca.pem", "x", {"dns:example.com"}, ""},
    {"ok/dns-below", "nc-ca.pem", "x", {"dns:www.example.com"}, ""},
    {"ok/dns-wildcard-below", "nc-ca.pem", "x", {"dns:*.example.com"}, ""},
    {"ok/ip-unconstrained-by-dns", "nc-ca.pem", "x", {"ip:192.0.2.1"}, ""},
    {"ok/cn-without-dot", "nc-ca.pem", "device-1", {}, ""},
    {"ok/cn-not-read-when-dns-san", "nc-ca.pem", "other.org", {"dns:a.example.com"}, ""},
    {"fail/dns-outside",
     "nc-ca.pem",
     "x",
     {"dns:www.example.org"},
     "www.example.org is outside the CA's permitted DNS names (example.com)"},
    {"fail/dns-lookalike", "nc-ca.pem", "x", {"dns:badexample.com"}, "outside"},
    {"fail/dns-excluded",
     "nc-ca.pem",
     "x",
     {"dns:db.secret.example.com"},
     "inside the CA's excluded DNS names (secret.example.com)"},
    {"fail/cn-read-as-dns",
     "nc-ca.pem",
     "sensor.local",
     {},
     "the common name sensor.local is outside"},
    {"fail/cn-ip-read-as-dns", "nc-ca.pem", "127.0.0.1", {"ip:127.0.0.1"}, "common name 127.0.0.1"},
    {"ok/ip-inside", "nc-mixed-ca.pem", "x", {"ip:10.1.2.3"}, ""},
    {"fail/ip-outside",
     "nc-mixed-ca.pem",
     "x",
     {"ip:192.168.1.1"},
     "permitted IP ranges (10.0.0.0/8)"},
    {"fail/ip-excluded",
     "nc-mixed-ca.pem",
     "x",
     {"ip:10.9.1.1"},
     "excluded IP ranges (10.9.0.0/16)"},
    {"fail/ipv6-not-in-v4-range", "nc-mixed-ca.pem", "x", {"ip:::1"}, "outside"},
    {"ok/email-below", "nc-mixed-ca.pem", "x", {"email:a@mail.example.com"}, ""},
    {"fail/email-at-the-domain-itself", "nc-mixed-ca.pem", "x", {"email:a@example.com"}, "outside"},
    {"ok/uri-host-below", "nc-mixed-ca.pem", "x", {"uri:https://api.example.com/x"}, ""},
    {"fail/urn-has-no-host", "nc-mixed-ca.pem", "x", {"uri:urn:anchor:device:x"}, "outside"},
    {"ok/dns-unconstrained-here", "nc-mixed-ca.pem", "x", {"dns:anything.org"}, ""},
};

class IssuerConstraintsTest : public ::testing::TestWithParam<ConstraintCase> {};

TEST_P(IssuerConstraintsTest, Admits) {
  const ConstraintCase& c = GetParam();
  const IssuerConstraints constraints =
      IssuerConstraints::Of({LoadFixture(std::string("lint/") + c.ca)});
  const Status st = constraints.Admits(Names(c.cn, c.sans));
  if (std::string(c.why).empty()) {
    EXPECT_THAT(st, IsOk());
    return;
  }
  ASSERT_THAT(st, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(st.error().message().find(c.why), std::string::npos) << st.error().message();
}

INSTANTIATE_TEST_SUITE_P(Constraints, IssuerConstraintsTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           return anchor::testing::SanitizeTestName(info.param.name);
                         });

TEST(IssuerConstraintsTest, EveryCaOfTheChainConstrains) {
  const IssuerConstraints both =
      IssuerConstraints::Of({LoadFixture("lint/nc-ca.pem"), LoadFixture("lint/nc-mixed-ca.pem")});
  EXPECT_THAT(both.Admits(Names("x", {"dns:a.example.com", "ip:10.0.0.1"})), IsOk());
  EXPECT_THAT(both.Admits(Names("x", {"dns:a.example.org"})), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(both.Admits(Names("x", {"ip:11.0.0.1"})), ErrorIs(Code::kPermissionDenied));
  EXPECT_TRUE(IssuerConstraints::Of({}).Empty());
}

TEST(IssuerConstraintsTest, AServerCertificateNeedsADnsNameWithinThem) {
  const IssuerConstraints nc = IssuerConstraints::Of({LoadFixture("lint/nc-ca.pem")});
  const Status ip_only = nc.Admits(Names("srv y", {"ip:127.0.0.1"}), /*server_auth=*/true);
  ASSERT_THAT(ip_only, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(ip_only.error().message().find("GnuTLS holds the common name 'srv y'"),
            std::string::npos);
  EXPECT_THAT(nc.Admits(Names("srv y", {"ip:127.0.0.1"}), /*server_auth=*/false), IsOk());
  EXPECT_THAT(nc.Admits(Names("srv y", {"ip:127.0.0.1", "dns:srv.example.com"}), true), IsOk());
  EXPECT_THAT(nc.Admits(Names("srv.example.com", {"ip:127.0.0.1"}), true), IsOk());
  EXPECT_EQ(nc.PermittedDnsNames(), std::vector<std::string>{"example.com"});
  // Without DNS constraints nothing is asked of the common name.
  const IssuerConstraints ip = IssuerConstraints::Of({LoadFixture("lint/nc-mixed-ca.pem")});
  EXPECT_THAT(ip.Admits(Names("srv y", {"ip:10.0.0.1"}), true), IsOk());
}

TEST(IssuerConstraintsTest, ReadsCommonNamesAsOpenSslDoes) {
  EXPECT_TRUE(ReadsAsDnsName("a.example"));
  EXPECT_TRUE(ReadsAsDnsName("127.0.0.1"));
  EXPECT_TRUE(ReadsAsDnsName("under_score.example"));
  EXPECT_FALSE(ReadsAsDnsName("localhost"));
  EXPECT_FALSE(ReadsAsDnsName("a..b"));
  EXPECT_FALSE(ReadsAsDnsName(".a.b"));
  EXPECT_FALSE(ReadsAsDnsName("a.-b"));
  EXPECT_FALSE(ReadsAsDnsName("Amy Client"));
}

}  // namespace
}  // namespace anchor::ca
