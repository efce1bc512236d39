// SPDX-License-Identifier: Apache-2.0
#include "ca/lint.h"

#include <gtest/gtest.h>

#include "crypto/cert_builder.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

TEST(LintTest, AnchorLeafHasNoErrors) {
  TestCa ca;
  const auto issued =
      ca.authority->Issue({MakeCsr("a.example.com"), OperatorRequest{Profile::kServer, 90}})
          .value();
  const Report r = Lint(issued.cert, ca.clock.Now());
  EXPECT_TRUE(r.Ok());
  EXPECT_FALSE(r.Contains("no-san"));
}

TEST(LintTest, FindsWhatTheSeedsGetWrong) {
  TestCa ca;
  // A leaf as `openssl x509 -req` would make it, but worse: CA:TRUE, no SAN, no EKU, 10 years.
  crypto::CertTemplate t;
  t.serial = {0x01};
  t.common_name = "localhost";
  t.not_before = ca.clock.Now();
  t.not_after = ca.clock.Now() + std::chrono::hours(24 * 3650);
  t.is_ca = true;
  t.key_usage = crypto::kDigitalSignature;
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto cert =
      crypto::SignCertificate(t, key.Public(), ca.intermediate.get(), *ca.inter_key).value();
  const Report r = Lint(cert, ca.clock.Now());
  EXPECT_FALSE(r.Ok());
  EXPECT_TRUE(r.Contains("ca-on-leaf"));
  EXPECT_TRUE(r.Contains("short-serial"));
  ca.clock.Advance(std::chrono::hours(24 * 3651));
  EXPECT_TRUE(Lint(cert, ca.clock.Now()).Contains("expired"));
}

TEST(LintTest, FlagsKeysWhoseSignaturesProveNothing) {
  const Report r =
      Lint(anchor::testing::LoadFixture("lint/explicit-ec.pem"), anchor::testing::kReferenceTime);
  EXPECT_TRUE(r.Contains("key-parameters"));
  EXPECT_FALSE(r.Ok());
}

TEST(LintTest, FlagsNamesThatAreNotValidForTheirKind) {
  const Report r =
      Lint(anchor::testing::LoadFixture("lint/bad-email.pem"), anchor::testing::kReferenceTime);
  EXPECT_TRUE(r.Contains("invalid-name"));
  EXPECT_FALSE(r.Ok());
}

TEST(LintTest, GivenItsIssuerFlagsALeafOutsideItsNameConstraints) {
  using anchor::testing::LoadFixture;
  const auto ca = LoadFixture("lint/nc-ca.pem");
  const auto now = anchor::testing::kReferenceTime;
  EXPECT_TRUE(Lint(LoadFixture("lint/outside.pem"), now, {}, {ca}).Contains("name-constraints"));
  EXPECT_TRUE(Lint(LoadFixture("lint/excluded.pem"), now, {}, {ca}).Contains("name-constraints"));
  EXPECT_FALSE(Lint(LoadFixture("lint/inside.pem"), now, {}, {ca}).Contains("name-constraints"));
  // Without the issuer there is nothing to hold the names to.
  EXPECT_FALSE(Lint(LoadFixture("lint/outside.pem"), now).Contains("name-constraints"));
}

}  // namespace
}  // namespace anchor::ca
