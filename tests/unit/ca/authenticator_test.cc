// SPDX-License-Identifier: Apache-2.0
// Authenticate: each credential's grant (identity, profile, names) and each way it is refused,
// with the code the server turns into its status.
#include "ca/authenticator.h"

#include <gtest/gtest.h>

#include "ca/enrollment_token.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;
using anchor::testing::TestFactory;

SecretBytes Secret(const CreatedToken& t) { return SecretBytes({t.token.data(), t.token.size()}); }

CreatedToken ServerToken(TestCa& ca, std::chrono::seconds ttl = std::chrono::hours(1)) {
  return CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                     NameRequest{"web-1", {crypto::ParseGeneralName("dns:web-1.example").value()}},
                     Profile::kServer, ttl)
      .value();
}

Issued ByOperator(TestCa& ca, const std::string& cn, Profile profile) {
  return ca.authority->Issue(IssueRequest{MakeCsr(cn), OperatorRequest{profile}}).value();
}

TEST(AuthenticatorTest, ATokenGrantsItsProfileAndNames) {
  TestCa ca;
  const CreatedToken t = ServerToken(ca);
  const auto grant = ca.Grant(TokenCredential{Secret(t)});
  ASSERT_THAT(grant, IsOk());
  EXPECT_EQ(grant->credential(), Credential::kToken);
  EXPECT_EQ(grant->profile(), Profile::kServer);
  ASSERT_TRUE(grant->token().has_value());
  EXPECT_EQ(grant->token()->hash, t.record.hash);
  EXPECT_FALSE(grant->redeemed());
  // The holder names the token by a prefix of its hash, never by the secret.
  EXPECT_EQ(grant->holder().find(std::string(t.token.data(), t.token.size())), std::string::npos);
  const auto names = NamesUnder(*grant, NameRequest{"web-1", {}}, ca.authority->config());
  ASSERT_THAT(names, IsOk());
  EXPECT_EQ(names->sans.size(), 1u);
}

TEST(AuthenticatorTest, UnknownExpiredAndMalformedTokensAreOneRefusal) {
  TestCa ca;
  const CreatedToken t = ServerToken(ca, std::chrono::seconds(60));
  ca.clock.Advance(std::chrono::seconds(61));
  const std::string forged = "anc_" + std::string(64, '0');
  for (const std::string_view text : {std::string_view(t.token.data(), t.token.size()),
                                      std::string_view(forged), std::string_view("hunter2")}) {
    const auto grant = ca.Grant(TokenCredential{SecretBytes(text)});
    ASSERT_THAT(grant, ErrorIs(Code::kUnauthenticated));
    EXPECT_EQ(grant.error().message(), TokenRefusal().message());
  }
}

TEST(AuthenticatorTest, AUsedTokenGrantsOnlyWhatItPaidFor) {
  TestCa ca;
  const CreatedToken t = ServerToken(ca);
  ASSERT_THAT(ca.Enroll(MakeCsr("web-1"), TokenCredential{Secret(t)}), IsOk());
  const auto grant = ca.Grant(TokenCredential{Secret(t)});
  ASSERT_THAT(grant, IsOk());
  EXPECT_TRUE(grant->redeemed());
  // Under it, no names: only Authority::Issue's retry of the same key gets anything.
  EXPECT_THAT(NamesUnder(*grant, NameRequest{"web-1", {}}, ca.authority->config()),
              ErrorIs(Code::kUnauthenticated));
}

TEST(AuthenticatorTest, ARenewalGrantsTheRenewedCertificatesProfile) {
  TestCa ca;
  const Issued old = ByOperator(ca, "meter-1", Profile::kDevice);
  const auto grant = ca.Grant(RenewalCredential{old.cert});
  ASSERT_THAT(grant, IsOk());
  EXPECT_EQ(grant->credential(), Credential::kRenewal);
  EXPECT_EQ(grant->profile(), Profile::kDevice);
  EXPECT_EQ(grant->renewing()->SerialHex(), old.cert.SerialHex());
  EXPECT_NE(grant->holder().find(old.cert.SerialHex()), std::string::npos);

  ASSERT_THAT(ca.authority->Revoke(old.cert.SerialHex(), 1), IsOk());
  EXPECT_THAT(ca.Grant(RenewalCredential{old.cert}), ErrorIs(Code::kUnauthenticated));
  TestCa other;
  EXPECT_THAT(ca.Grant(RenewalCredential{ByOperator(other, "meter-1", Profile::kDevice).cert}),
              ErrorIs(Code::kUnauthenticated));
}

// The race a hostile review found: a renewal authorised, then its certificate revoked before the
// new one commits. The commit checks the revocation in its own transaction: 401, nothing written.
TEST(AuthenticatorTest, ARenewalWhoseCertificateIsRevokedBeforeTheCommitIsRefused) {
  TestCa ca;
  const Issued old = ByOperator(ca, "meter-1", Profile::kDevice);
  auto grant = ca.Grant(RenewalCredential{old.cert});
  ASSERT_THAT(grant, IsOk());
  ASSERT_THAT(ca.authority->Revoke(old.cert.SerialHex(), 1), IsOk());
  EXPECT_THAT(ca.authority->Issue(IssueRequest{MakeCsr("meter-1"), std::move(grant).value()}),
              ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(ca.store->CountCertificates().value(), 1);

  // An unrevoked one renews, and the new record names the certificate it renewed.
  const Issued other = ByOperator(ca, "meter-2", Profile::kDevice);
  const auto renewed = ca.Enroll(MakeCsr("meter-2"), RenewalCredential{other.cert});
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(ca.store->FindBySerial(renewed->cert.SerialHex())->renews, other.cert.SerialHex());
  EXPECT_EQ(ca.store->FindBySerial(other.cert.SerialHex())->renews, "");
}

// Revoking a renewal must not leave the certificate it replaced free to fork a new one: S renews
// to R, R renews to Q, Q is revoked; S and R can no longer be renewed (401), nothing is written.
TEST(AuthenticatorTest, ACertificateWhoseRenewalIsRevokedCannotRenewAgain) {
  TestCa ca;
  const Issued s = ByOperator(ca, "meter-3", Profile::kDevice);
  const auto r = ca.Enroll(MakeCsr("meter-3"), RenewalCredential{s.cert});
  ASSERT_THAT(r, IsOk());
  const auto q = ca.Enroll(MakeCsr("meter-3"), RenewalCredential{r->cert});
  ASSERT_THAT(q, IsOk());
  ASSERT_THAT(ca.authority->Revoke(q->cert.SerialHex(), 1), IsOk());
  for (const crypto::Certificate* old : {&s.cert, &r->cert}) {
    const auto again = ca.Enroll(MakeCsr("meter-3"), RenewalCredential{*old});
    ASSERT_THAT(again, ErrorIs(Code::kUnauthenticated));
    EXPECT_NE(again.error().message().find(q->cert.SerialHex()), std::string::npos);
  }
  EXPECT_EQ(ca.store->CountCertificates().value(), 3);
}

TEST(AuthenticatorTest, AFactoryCertificateGrantsItsCnUnderTheBootstrapProfile) {
  TestCa ca;
  const TestFactory factory(ca.clock.Now());
  const auto grant = ca.Grant(FactoryCredential{{factory.Leaf("pump-7")}}, factory.Trust());
  ASSERT_THAT(grant, IsOk());
  EXPECT_EQ(grant->credential(), Credential::kFactory);
  EXPECT_EQ(grant->profile(), Profile::kDevice);
  EXPECT_EQ(grant->common_name(), "pump-7");
  // No factory trust configured; a certificate of another CA; one of this CA's own devices.
  EXPECT_THAT(ca.Grant(FactoryCredential{{factory.Leaf("pump-7")}}),
              ErrorIs(Code::kUnauthenticated));
  const TestFactory stranger(ca.clock.Now());
  EXPECT_THAT(ca.Grant(FactoryCredential{{stranger.Leaf("pump-7")}}, factory.Trust()),
              ErrorIs(Code::kUnauthenticated));
  EXPECT_THAT(ca.Grant(FactoryCredential{{ByOperator(ca, "pump-7", Profile::kDevice).cert}},
                       factory.Trust()),
              ErrorIs(Code::kUnauthenticated));
}

// Revoking a device must not be undone by its factory certificate, which outlives every
// certificate anchor gives it: the operator re-admits it with a token.
TEST(AuthenticatorTest, AFactoryCertificateCannotReadmitARevokedDevice) {
  TestCa ca;
  const TestFactory factory(ca.clock.Now());
  const FactoryCredential pump{{factory.Leaf("pump-7")}};
  const auto first = ca.Enroll(MakeCsr("pump-7"), pump, factory.Trust());
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(ca.Enroll(MakeCsr("pump-7"), pump, factory.Trust()), IsOk()) << "a lost key";
  const auto latest = ca.store->List(store::ListFilter{}).value().front();
  ASSERT_THAT(ca.authority->Revoke(latest.serial, 1), IsOk());
  const auto refused = ca.Grant(pump, factory.Trust());
  ASSERT_THAT(refused, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(refused.error().message().find("anchor token create --cn pump-7"), std::string::npos);
  // Another device of the same factory is not affected.
  EXPECT_THAT(ca.Grant(FactoryCredential{{factory.Leaf("pump-8")}}, factory.Trust()), IsOk());
}

TEST(AuthenticatorTest, OnlyALiveAdminCertificateOfThisCaIsAnAdmin) {
  TestCa ca;
  const Issued admin = ByOperator(ca, "ops", Profile::kAdmin);
  const auto grant = ca.Grant(AdminCredential{admin.cert});
  ASSERT_THAT(grant, IsOk());
  EXPECT_EQ(grant->credential(), Credential::kAdmin);
  EXPECT_EQ(grant->profile(), Profile::kAdmin);
  // TLS accepted these; the admin API refuses them (403).
  EXPECT_THAT(ca.Grant(AdminCredential{ByOperator(ca, "meter-1", Profile::kDevice).cert}),
              ErrorIs(Code::kPermissionDenied));
  TestCa other;
  EXPECT_THAT(ca.Grant(AdminCredential{ByOperator(other, "ops", Profile::kAdmin).cert}),
              ErrorIs(Code::kPermissionDenied));
  ASSERT_THAT(ca.authority->Revoke(admin.cert.SerialHex(), 1), IsOk());
  EXPECT_THAT(ca.Grant(AdminCredential{admin.cert}), ErrorIs(Code::kPermissionDenied));
  // An admin grant obtains no certificate.
  EXPECT_THAT(NamesUnder(*grant, NameRequest{"ops", {}}, ca.authority->config()),
              ErrorIs(Code::kPermissionDenied));
}

}  // namespace
}  // namespace anchor::ca
