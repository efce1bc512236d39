// SPDX-License-Identifier: Apache-2.0
// Every cell of docs/ARCHITECTURE.md "Who may obtain what": each credential against each
// profile, through the authority, and the names each may obtain, including the refusals.
#include "ca/credential_rules.h"

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

// A CN every profile accepts: a device id and a DNS name at once.
constexpr const char* kCn = "node-1.example.com";

crypto::GeneralName Name(const char* text) { return crypto::ParseGeneralName(text).value(); }

class CredentialCellTest : public ::testing::TestWithParam<std::tuple<Credential, Profile>> {};

SecretBytes Secret(const CreatedToken& t) { return SecretBytes({t.token.data(), t.token.size()}); }

Result<Issued> ByOperator(TestCa& ca, crypto::Csr csr, Profile profile) {
  return ca.authority->Issue(IssueRequest{std::move(csr), OperatorRequest{profile, 30}});
}

// Obtain asks `ca` for a certificate of `profile` with `credential`, set up the way the
// network or the CLI would: the Authenticator's grant, then the Authority.
Result<Issued> Obtain(TestCa& ca, Credential credential, Profile profile) {
  switch (credential) {
    case Credential::kOperator:
      return ByOperator(ca, MakeCsr(kCn), profile);
    case Credential::kFactory: {
      const anchor::testing::TestFactory factory(ca.clock.Now());
      return ca.Enroll(MakeCsr(kCn), FactoryCredential{{factory.Leaf(kCn)}},
                       factory.Trust(profile));
    }
    case Credential::kToken: {
      // A token for the admin profile cannot even be made; that is the refusal for tokens.
      ANCHOR_ASSIGN_OR_RETURN(CreatedToken t,
                              CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                                          NameRequest{kCn, {}}, profile, std::chrono::hours(1)));
      return ca.Enroll(MakeCsr(kCn), TokenCredential{Secret(t)});
    }
    case Credential::kRenewal: {
      // The certificate being renewed was issued by the operator under `profile`.
      ANCHOR_ASSIGN_OR_RETURN(Issued old, ByOperator(ca, MakeCsr(kCn), profile));
      return ca.Enroll(MakeCsr(kCn), RenewalCredential{old.cert});
    }
    case Credential::kAdmin: {
      ANCHOR_ASSIGN_OR_RETURN(Issued admin, ByOperator(ca, MakeCsr(kCn), Profile::kAdmin));
      // An admin grant obtains nothing, whatever profile the request would like.
      return ca.Enroll(MakeCsr(kCn), AdminCredential{admin.cert});
    }
  }
  return Error(Code::kInternal, "unknown credential");
}

TEST_P(CredentialCellTest, ObtainsOnlyWhatTheTableAllows) {
  const auto [credential, profile] = GetParam();
  TestCa ca;
  const bool allowed = credential != Credential::kAdmin &&
                       (profile != Profile::kAdmin || credential == Credential::kOperator);
  EXPECT_EQ(static_cast<bool>(MayObtain(credential, profile)), allowed);
  const int64_t before = ca.store->CountCertificates().value();
  const auto got = Obtain(ca, credential, profile);
  if (allowed) {
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(ca.store->FindBySerial(got->cert.SerialHex()).value().profile, ProfileName(profile));
    return;
  }
  EXPECT_THAT(got, ErrorIs(Code::kPermissionDenied));
  // A refused renewal leaves only the certificate it tried to renew (an admin credential, the
  // admin certificate); nothing else is written.
  const bool made_one = credential == Credential::kRenewal || credential == Credential::kAdmin;
  EXPECT_EQ(ca.store->CountCertificates().value(), before + (made_one ? 1 : 0));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CredentialCellTest,
    ::testing::Combine(::testing::Values(Credential::kOperator, Credential::kToken,
                                         Credential::kRenewal, Credential::kFactory,
                                         Credential::kAdmin),
                       ::testing::ValuesIn(AllProfiles())),
    [](const auto& info) {
      return anchor::testing::SanitizeTestName(
          std::string(CredentialName(std::get<0>(info.param))) + "_" +
          std::string(ProfileName(std::get<1>(info.param))));
    });

TEST(CredentialNamesTest, AFactoryCertificateGetsItsCnAndNothingItAsksFor) {
  TestCa ca;
  const anchor::testing::TestFactory factory(ca.clock.Now());
  const FactoryCredential pump{{factory.Leaf("pump-7")}};
  EXPECT_THAT(ca.Enroll(MakeCsr("pump-7", {Name("dns:bank.example")}), pump, factory.Trust()),
              ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(ca.Enroll(MakeCsr("pump-8"), pump, factory.Trust()),
              ErrorIs(Code::kPermissionDenied));
  // Its own CN as a DNS name (in any case) is its own name, as for a token.
  const auto as_dns = ca.Enroll(MakeCsr("pump-7", {Name("dns:PUMP-7")}), pump, factory.Trust());
  ASSERT_THAT(as_dns, IsOk());
  EXPECT_EQ(as_dns->cert.SubjectAltNames().front(), Name("dns:pump-7"));
  const auto issued =
      ca.Enroll(MakeCsr("pump-7", {Name("uri:urn:anchor:device:pump-7")}), pump, factory.Trust());
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert.SubjectAltNames(),
            std::vector<crypto::GeneralName>{Name("uri:urn:anchor:device:pump-7")});
}

TEST(CredentialNamesTest, ARenewalKeepsItsNamesAndCannotAddOne) {
  TestCa ca;
  const auto old = ByOperator(ca, MakeCsr("a.example.com"), Profile::kServer);
  ASSERT_THAT(old, IsOk());
  const RenewalCredential renewing{old->cert};
  EXPECT_THAT(ca.Enroll(MakeCsr("a.example.com", {Name("dns:b.example.com")}), renewing),
              ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(ca.Enroll(MakeCsr("b.example.com"), renewing), ErrorIs(Code::kPermissionDenied));
  const auto renewed = ca.Enroll(MakeCsr("a.example.com"), renewing);
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(renewed->cert.SubjectAltNames(), old->cert.SubjectAltNames());
  EXPECT_EQ(ca.store->FindBySerial(renewed->cert.SerialHex()).value().profile, "server");
}

TEST(CredentialNamesTest, ARenewalMaySpellItsNamesDifferently) {
  TestCa ca;
  const auto old = ByOperator(ca, MakeCsr("www.example.com"), Profile::kServer);
  ASSERT_THAT(old, IsOk());
  // upper-dns-san.csr asks for WWW.Example.COM: the certificate's own name, in capitals.
  const auto renewed =
      ca.Enroll(anchor::testing::LoadCsrFixture("upper-dns-san.csr"), RenewalCredential{old->cert});
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(renewed->cert.SubjectAltNames(), old->cert.SubjectAltNames());
}

TEST(CredentialNamesTest, ATokenBoundsTheNamesAndTheProfile) {
  TestCa ca;
  const auto t = CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                             NameRequest{"web-1", {Name("dns:web-1.example.com")}},
                             Profile::kServer, std::chrono::hours(1))
                     .value();
  // Another SAN, another CN, a role URI: refused, and the token stays usable.
  const std::vector<std::pair<const char*, std::vector<crypto::GeneralName>>> refused = {
      {"web-1", {Name("dns:web-2.example.com")}},
      {"web-2", {}},
      {"web-1", {Name("uri:urn:anchor:service:web-1")}}};
  for (const auto& [cn, sans] : refused) {
    EXPECT_THAT(ca.Enroll(MakeCsr(cn, sans), TokenCredential{Secret(t)}),
                ErrorIs(Code::kPermissionDenied))
        << cn;
  }
  const auto issued =
      ca.Enroll(MakeCsr("web-1", {Name("dns:web-1.example.com")}), TokenCredential{Secret(t)});
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(ca.store->FindBySerial(issued->cert.SerialHex()).value().profile, "server");
}

TEST(CredentialNamesTest, ATokenMatchesARequestedNameInAnyCase) {
  TestCa ca;
  const auto t = CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                             NameRequest{"www.example.com", {Name("dns:www.example.com")}},
                             Profile::kServer, std::chrono::hours(1))
                     .value();
  // upper-dns-san.csr asks for WWW.Example.COM: the same name as the token's.
  const auto issued =
      ca.Enroll(anchor::testing::LoadCsrFixture("upper-dns-san.csr"), TokenCredential{Secret(t)});
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert.SubjectAltNames(),
            std::vector<crypto::GeneralName>{Name("dns:www.example.com")});
}

}  // namespace
}  // namespace anchor::ca
