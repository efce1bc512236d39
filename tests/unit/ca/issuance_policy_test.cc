// SPDX-License-Identifier: Apache-2.0
#include "ca/issuance_policy.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

struct PolicyCase {
  const char* name;
  Profile profile;
  const char* cn;
  std::vector<const char*> sans;
  int days;
  Code expected;
};

void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }

CaConfig RestrictedConfig() {
  CaConfig c = CaConfig::Defaults();
  c.profiles[Profile::kServer].dns_suffixes = {"example.com"};
  c.profiles[Profile::kServer].ip_ranges = {"10.0.0.0/8"};
  return c;
}

const PolicyCase kCases[] = {
    {"ok/server-cn-becomes-san", Profile::kServer, "www.example.com", {}, 90, Code::kOk},
    {"ok/server-ip-in-range", Profile::kServer, "api.example.com", {"ip:10.1.2.3"}, 90, Code::kOk},
    {"ok/client-any-cn", Profile::kClient, "Amy Client", {}, 365, Code::kOk},
    {"ok/device-id", Profile::kDevice, "sensor-0042", {}, 365, Code::kOk},
    {"ok/service-id", Profile::kService, "ingest-1", {}, 90, Code::kOk},
    {"ok/peer-ipv6", Profile::kPeer, "::1", {}, 30, Code::kOk},
    {"fail/server-suffix", Profile::kServer, "www.evil.org", {}, 90, Code::kPermissionDenied},
    {"fail/server-suffix-lookalike",
     Profile::kServer,
     "evilexample.com",
     {},
     90,
     Code::kPermissionDenied},
    {"fail/server-ip-out-of-range",
     Profile::kServer,
     "a.example.com",
     {"ip:192.168.1.1"},
     90,
     Code::kPermissionDenied},
    {"fail/server-no-hostname", Profile::kServer, "my laptop", {}, 90, Code::kInvalidArgument},
    {"fail/server-wildcard", Profile::kServer, "*.example.com", {}, 90, Code::kPermissionDenied},
    {"fail/server-uri",
     Profile::kServer,
     "a.example.com",
     {"uri:spiffe://x"},
     90,
     Code::kPermissionDenied},
    {"fail/exceeds-profile-max",
     Profile::kServer,
     "a.example.com",
     {},
     398,
     Code::kPermissionDenied},
    {"fail/zero-days", Profile::kClient, "c", {}, 0, Code::kInvalidArgument},
    {"fail/device-bad-id", Profile::kDevice, "sensor 42", {}, 30, Code::kInvalidArgument},
    {"fail/device-foreign-uri",
     Profile::kDevice,
     "s1",
     {"uri:urn:anchor:device:s2"},
     30,
     Code::kPermissionDenied},
    {"fail/service-bad-id", Profile::kService, "ingest/1", {}, 30, Code::kInvalidArgument},
    {"fail/service-claims-device-uri",
     Profile::kService,
     "s1",
     {"uri:urn:anchor:device:s1"},
     30,
     Code::kPermissionDenied},
    {"fail/nobody", Profile::kClient, "", {}, 30, Code::kInvalidArgument},
    // Role URIs come only from the profile that owns them, in any spelling (h04).
    {"fail/client-claims-service-role",
     Profile::kClient,
     "mallory",
     {"uri:urn:anchor:service:mallory"},
     30,
     Code::kPermissionDenied},
    {"fail/peer-claims-device-role",
     Profile::kPeer,
     "p.example.com",
     {"uri:urn:anchor:device:p.example.com"},
     30,
     Code::kPermissionDenied},
    {"fail/client-claims-role-in-capitals",
     Profile::kClient,
     "mallory",
     {"uri:URN:Anchor:Service:mallory"},
     30,
     Code::kPermissionDenied},
    {"fail/admin-claims-device-role",
     Profile::kAdmin,
     "ops",
     {"uri:urn:anchor:device:x"},
     30,
     Code::kPermissionDenied},
    {"ok/client-other-uri", Profile::kClient, "c", {"uri:spiffe://fleet.example/c"}, 30, Code::kOk},
    {"ok/device-own-role-uri", Profile::kDevice, "s1", {"uri:urn:anchor:device:s1"}, 30, Code::kOk},
    // Names as a CSR may carry them, checked by kind (names/).
    {"ok/server-unicode-cn-to-a-label", Profile::kServer, "münchen.example.com", {}, 90, Code::kOk},
    {"ok/server-upper-case-san",
     Profile::kServer,
     "a.example.com",
     {"dns:B.EXAMPLE.COM"},
     90,
     Code::kOk},
    {"fail/server-wildcard-not-leftmost",
     Profile::kServer,
     "a.example.com",
     {"dns:a.*.example.com"},
     90,
     Code::kInvalidArgument},
    {"fail/client-email-no-at",
     Profile::kClient,
     "c",
     {"email:no-at-sign"},
     30,
     Code::kInvalidArgument},
    {"fail/client-email-non-ascii",
     Profile::kClient,
     "c",
     {"email:üser@example.com"},
     30,
     Code::kInvalidArgument},
    {"fail/client-relative-uri",
     Profile::kClient,
     "c",
     {"uri:just/a/path"},
     30,
     Code::kInvalidArgument},
    {"fail/server-ip-with-zone",
     Profile::kServer,
     "a.example.com",
     {"ip:fe80::1%eth0"},
     90,
     Code::kInvalidArgument},
    {"fail/client-cn-newline", Profile::kClient, "a\nb", {}, 30, Code::kInvalidArgument},
    {"fail/client-cn-65-chars",
     Profile::kClient,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     {},
     30,
     Code::kInvalidArgument},
};

// Raw reads "kind:value" as a CSR carries it, without normalising: policy must do that.
crypto::GeneralName Raw(const std::string& text) {
  using Kind = crypto::GeneralName::Kind;
  const std::string kind = text.substr(0, text.find(':'));
  const std::string value = text.substr(text.find(':') + 1);
  return {kind == "dns"   ? Kind::kDns
          : kind == "ip"  ? Kind::kIp
          : kind == "uri" ? Kind::kUri
                          : Kind::kEmail,
          value};
}

class PolicyTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(PolicyTest, Decides) {
  const PolicyCase& c = GetParam();
  anchor::testing::TestCa ca(RestrictedConfig());
  const CaConfig config = RestrictedConfig();
  const IssuancePolicy policy(config);
  NameRequest names{c.cn, {}};
  for (const char* s : c.sans) {
    names.sans.push_back(Raw(s));
  }
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto d =
      policy.Decide(key.Public(), names, c.profile, c.days, *ca.intermediate, ca.clock.Now());
  if (c.expected == Code::kOk) {
    ASSERT_THAT(d, IsOk());
    EXPECT_FALSE(d->tmpl.is_ca);
    EXPECT_FALSE(d->tmpl.ext_key_usage.empty());
    if (ProfileRequiresSan(c.profile)) {
      EXPECT_FALSE(d->tmpl.sans.empty());
    }
  } else {
    EXPECT_THAT(d, ErrorIs(c.expected));
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, PolicyTest, ::testing::ValuesIn(kCases), [](const auto& info) {
  return anchor::testing::SanitizeTestName(info.param.name);
});

TEST(PolicyTest, NamesWrittenDifferentlyFromTheRequestAreSaid) {
  anchor::testing::TestCa ca;
  const CaConfig config = CaConfig::Defaults();
  const IssuancePolicy policy(config);
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto d = policy.Decide(key.Public(), {"m.example", {Raw("dns:MÜNCHEN.example")}},
                               Profile::kServer, 30, *ca.intermediate, ca.clock.Now());
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->tmpl.sans[1].ToString(), "dns:xn--mnchen-3ya.example");
  const bool said = std::any_of(d->warnings.begin(), d->warnings.end(), [](const std::string& w) {
    return w.find("as dns:xn--mnchen-3ya.example") != std::string::npos;
  });
  EXPECT_TRUE(said);
}

TEST(PolicyTest, NameConstraintsAreCheckedBeforeSigningWithTheirRuleNamed) {
  anchor::testing::TestCa ca(CaConfig::Defaults(), 365, crypto::KeyType::kEcP256, {"example.com"});
  const CaConfig config = CaConfig::Defaults();
  const IssuancePolicy policy(config, IssuerConstraints::Of({*ca.intermediate, *ca.root}));
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto d = policy.Decide(key.Public(), {"www.example.org", {}}, Profile::kServer, 30,
                               *ca.intermediate, ca.clock.Now());
  ASSERT_THAT(d, ErrorIs(Code::kPermissionDenied));
  EXPECT_EQ(d.error().message(),
            "www.example.org is outside the CA's permitted DNS names (example.com)");
  EXPECT_THAT(policy.Admits({"www.example.org", {}}, Profile::kServer),
              ErrorIs(Code::kPermissionDenied));  // no token either
  EXPECT_THAT(policy.Decide(key.Public(), {"www.example.com", {}}, Profile::kServer, 30,
                            *ca.intermediate, ca.clock.Now()),
              IsOk());
}

TEST(PolicyTest, DeviceGetsItsUriAndServerItsCn) {
  anchor::testing::TestCa ca;
  const CaConfig config = CaConfig::Defaults();
  const IssuancePolicy policy(config);
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto d = policy.Decide(key.Public(), {"sensor-1", {}}, Profile::kDevice, 30,
                               *ca.intermediate, ca.clock.Now());
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->tmpl.sans.back().ToString(), "uri:urn:anchor:device:sensor-1");
  EXPECT_EQ(d->tmpl.not_before, ca.clock.Now() - kClockSkewBackdate);
}

TEST(PolicyTest, ServiceGetsItsRoleUriAndClientAuth) {
  anchor::testing::TestCa ca;
  const CaConfig config = CaConfig::Defaults();
  const IssuancePolicy policy(config);
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto d = policy.Decide(key.Public(), {"ingest-1", {}}, Profile::kService, 30,
                               *ca.intermediate, ca.clock.Now());
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->tmpl.sans.size(), 1u);
  EXPECT_EQ(d->tmpl.sans[0].ToString(), "uri:urn:anchor:service:ingest-1");
  EXPECT_EQ(d->tmpl.ext_key_usage,
            std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kClientAuth});
}

TEST(PolicyTest, NotAfterNeverPassesTheIssuer) {
  anchor::testing::TestCa ca(CaConfig::Defaults(), /*intermediate_days=*/10);
  const CaConfig config = CaConfig::Defaults();
  const IssuancePolicy policy(config);
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto d = policy.Decide(key.Public(), {"c", {}}, Profile::kClient, 365, *ca.intermediate,
                               ca.clock.Now());
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->tmpl.not_after, ca.intermediate->NotAfter());
  EXPECT_FALSE(d->warnings.empty());
}

}  // namespace
}  // namespace anchor::ca
