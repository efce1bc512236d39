// SPDX-License-Identifier: Apache-2.0
#include "ca/issuance_check.h"

#include <gtest/gtest.h>

#include "ca/enrollment_token.h"
#include "ca/lint.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

// Leaf signs `t` (made valid for 30 days from now unless set) with `ca`'s intermediate.
crypto::Certificate Leaf(TestCa& ca, crypto::CertTemplate t) {
  t.serial = NewSerial(ca.rng).value();
  if (t.not_after == Clock::time_point{}) {
    t.not_before = ca.clock.Now() - std::chrono::minutes(1);
    t.not_after = ca.clock.Now() + std::chrono::hours(24 * 30);
  }
  t.key_usage = crypto::kDigitalSignature;
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  return crypto::SignCertificate(t, key.Public(), ca.intermediate.get(), *ca.inter_key).value();
}

crypto::CertTemplate ServerTemplate(const std::string& dns) {
  crypto::CertTemplate t;
  t.common_name = dns;
  t.sans = {crypto::ParseGeneralName("dns:" + dns).value()};
  t.ext_key_usage = {crypto::ExtKeyUsage::kServerAuth};
  return t;
}

std::string Findings(const Report& r) {
  std::string out;
  for (const Finding& f : r.findings()) {
    out += f.id + ": " + f.detail + "\n";
  }
  return out;
}

IssuanceCheck For(TestCa& ca, std::optional<Profile> profile) {
  return IssuanceCheck{{*ca.intermediate, *ca.root}, profile, ca.clock.Now()};
}

TEST(IssuanceCheckTest, EveryProfileAnchorIssuesPasses) {
  TestCa ca;
  for (const Profile p : AllProfiles()) {
    const auto issued =
        ca.authority->Issue(IssueRequest{MakeCsr("node-1.example.com"), OperatorRequest{p, 30}});
    ASSERT_THAT(issued, IsOk()) << ProfileName(p);
    const Report r = CheckBeforeIssue(issued->cert, For(ca, p));
    EXPECT_TRUE(r.Ok()) << ProfileName(p) << ": "
                        << (r.findings().empty() ? "" : r.findings()[0].detail);
  }
  EXPECT_TRUE(CheckBeforeIssue(*ca.root, IssuanceCheck{{}, std::nullopt, ca.clock.Now()}).Ok());
  EXPECT_TRUE(
      CheckBeforeIssue(*ca.intermediate, IssuanceCheck{{*ca.root}, std::nullopt, ca.clock.Now()})
          .Ok());
}

TEST(IssuanceCheckTest, AnExtendedKeyUsageThatIsNotTheProfilesIsFound) {
  TestCa ca;
  crypto::CertTemplate t = ServerTemplate("a.example.com");
  t.ext_key_usage = {crypto::ExtKeyUsage::kClientAuth};
  const Report r = CheckBeforeIssue(Leaf(ca, t), For(ca, Profile::kServer));
  EXPECT_TRUE(r.Contains("profile-eku"));
  EXPECT_TRUE(r.Contains("chain:unsuitable-purpose"))  // not good for serverAuth
      << Findings(r);
}

TEST(IssuanceCheckTest, ALeafOutlivingItsIssuerIsFound) {
  TestCa ca;
  crypto::CertTemplate t = ServerTemplate("a.example.com");
  t.not_before = ca.clock.Now();
  t.not_after = ca.intermediate->NotAfter() + std::chrono::hours(1);
  EXPECT_TRUE(
      CheckBeforeIssue(Leaf(ca, t), For(ca, Profile::kServer)).Contains("validity-outside-issuer"));
}

TEST(IssuanceCheckTest, ALeafOutsideTheNameConstraintsIsFoundTwice) {
  TestCa ca(CaConfig::Defaults(), 365, crypto::KeyType::kEcP256, {"example.com"});
  const Report r =
      CheckBeforeIssue(Leaf(ca, ServerTemplate("www.example.org")), For(ca, Profile::kServer));
  EXPECT_TRUE(r.Contains("chain:name-constraints-violation")) << Findings(r);  // the verifier
  EXPECT_TRUE(r.Contains("name-constraints")) << Findings(r);  // lint, given the issuers
  const Status verdict = Verdict(r);
  ASSERT_THAT(verdict, ErrorIs(Code::kPermissionDenied));
  // The verdict's one line is the first error's detail, here the verifier's.
  EXPECT_EQ(verdict.error().message(), "refused before issuance: " + r.findings().front().detail);
  EXPECT_TRUE(
      CheckBeforeIssue(Leaf(ca, ServerTemplate("www.example.com")), For(ca, Profile::kServer))
          .Ok());
}

TEST(IssuanceCheckTest, ACaCertificateAsALeafIsFound) {
  TestCa ca;
  crypto::CertTemplate t = ServerTemplate("a.example.com");
  t.is_ca = true;
  EXPECT_TRUE(CheckBeforeIssue(Leaf(ca, t), For(ca, Profile::kServer)).Contains("profile-ca"));
}

TEST(IssuanceCheckTest, ALeafOfAnotherCaIsFound) {
  TestCa ca, other;
  EXPECT_TRUE(
      CheckBeforeIssue(Leaf(other, ServerTemplate("a.example.com")), For(ca, Profile::kServer))
          .Contains("chain:unknown-issuer"));
}

TEST(IssuanceCheckTest, WhatFailsIsNeitherRecordedNorPaidFor) {
  // An authority whose intermediate does not chain to the root it is given: policy passes,
  // the signed certificate would not verify, so nothing may be recorded and no token consumed.
  TestCa ca, other;
  Authority broken(CaConfig::Defaults(), *other.root, *ca.intermediate, *ca.inter_key, *ca.store,
                   ca.clock, ca.rng);
  const auto t = CreateToken(broken.policy(), *ca.store, ca.rng, ca.clock, NameRequest{"dev-1", {}},
                             Profile::kDevice, std::chrono::hours(1))
                     .value();
  const SecretBytes token({t.token.data(), t.token.size()});
  auto grant = ca.Grant(TokenCredential{SecretBytes({t.token.data(), t.token.size()})});
  ASSERT_THAT(grant, IsOk());
  const auto refused = broken.Issue(IssueRequest{MakeCsr("dev-1"), std::move(grant).value()});
  ASSERT_THAT(refused, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(refused.error().message().find(
                "refused before issuance: the intermediate does not verify to the root"),
            std::string::npos)
      << refused.error().message();
  EXPECT_EQ(ca.store->CountCertificates().value(), 0);
  EXPECT_THAT(RedeemableToken(*ca.store, token, ca.clock.Now()), IsOk());
  EXPECT_THAT(broken.IssueOcspSigner(
                  crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value().Public(), 7),
              ErrorIs(Code::kPermissionDenied));
  EXPECT_EQ(ca.store->CountCertificates().value(), 0);
}

}  // namespace
}  // namespace anchor::ca
