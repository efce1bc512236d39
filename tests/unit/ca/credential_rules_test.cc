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

// Obtain asks `ca` for a certificate of `profile` with `credential`, set up the way the
// network or the CLI would.
Result<Issued> Obtain(TestCa& ca, Credential credential, Profile profile) {
  switch (credential) {
    case Credential::kOperator:
      return ca.authority->Issue(IssueRequest{MakeCsr(kCn), profile, 30, std::nullopt, {}});
    case Credential::kFactory: {
      IssueRequest r{MakeCsr(kCn), profile, 30, std::nullopt, {}};
      r.credential = Credential::kFactory;
      return ca.authority->Issue(r);
    }
    case Credential::kToken: {
      // A token for the admin profile cannot even be made; that is the refusal for tokens.
      ANCHOR_ASSIGN_OR_RETURN(CreatedToken t,
                              CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                                          NameRequest{kCn, {}}, profile, std::chrono::hours(1)));
      return ca.authority->Issue(IssueRequest{MakeCsr(kCn), Profile::kClient, 30, std::nullopt,
                                              SecretBytes({t.token.data(), t.token.size()})});
    }
    case Credential::kRenewal: {
      // The certificate being renewed was issued by the operator under `profile`.
      ANCHOR_ASSIGN_OR_RETURN(Issued old, ca.authority->Issue(IssueRequest{
                                              MakeCsr(kCn), profile, 30, std::nullopt, {}}));
      IssueRequest r{MakeCsr(kCn), Profile::kClient, 30, std::nullopt, {}};
      r.renewal_of = old.cert;
      return ca.authority->Issue(r);
    }
  }
  return Error(Code::kInternal, "unknown credential");
}

TEST_P(CredentialCellTest, ObtainsOnlyWhatTheTableAllows) {
  const auto [credential, profile] = GetParam();
  TestCa ca;
  const bool allowed = profile != Profile::kAdmin || credential == Credential::kOperator;
  EXPECT_EQ(static_cast<bool>(MayObtain(credential, profile)), allowed);
  const int64_t before = ca.store->CountCertificates().value();
  const auto got = Obtain(ca, credential, profile);
  if (allowed) {
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(ca.store->FindBySerial(got->cert.SerialHex()).value().profile, ProfileName(profile));
    return;
  }
  EXPECT_THAT(got, ErrorIs(Code::kPermissionDenied));
  // A refused renewal leaves only the certificate it tried to renew; nothing else is written.
  EXPECT_EQ(ca.store->CountCertificates().value(),
            before + (credential == Credential::kRenewal ? 1 : 0));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CredentialCellTest,
    ::testing::Combine(::testing::Values(Credential::kOperator, Credential::kToken,
                                         Credential::kRenewal, Credential::kFactory),
                       ::testing::ValuesIn(AllProfiles())),
    [](const auto& info) {
      return anchor::testing::SanitizeTestName(
          std::string(CredentialName(std::get<0>(info.param))) + "_" +
          std::string(ProfileName(std::get<1>(info.param))));
    });

TEST(CredentialNamesTest, AFactoryCertificateGetsItsCnAndNothingItAsksFor) {
  TestCa ca;
  IssueRequest r{
      MakeCsr("pump-7", {Name("dns:bank.example")}), Profile::kDevice, 30, std::nullopt, {}};
  r.credential = Credential::kFactory;
  EXPECT_THAT(ca.authority->Issue(r), ErrorIs(Code::kPermissionDenied));
  IssueRequest own{MakeCsr("pump-7", {Name("uri:urn:anchor:device:pump-7")}),
                   Profile::kDevice,
                   30,
                   std::nullopt,
                   {}};
  own.credential = Credential::kFactory;
  const auto issued = ca.authority->Issue(own);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert.SubjectAltNames(),
            std::vector<crypto::GeneralName>{Name("uri:urn:anchor:device:pump-7")});
}

TEST(CredentialNamesTest, ARenewalKeepsItsNamesAndCannotAddOne) {
  TestCa ca;
  const auto old = ca.authority->Issue(
      IssueRequest{MakeCsr("a.example.com"), Profile::kServer, 30, std::nullopt, {}});
  ASSERT_THAT(old, IsOk());
  IssueRequest more{MakeCsr("a.example.com", {Name("dns:b.example.com")}),
                    Profile::kClient,
                    30,
                    std::nullopt,
                    {}};
  more.renewal_of = old->cert;
  EXPECT_THAT(ca.authority->Issue(more), ErrorIs(Code::kPermissionDenied));
  IssueRequest other{MakeCsr("b.example.com"), Profile::kClient, 30, std::nullopt, {}};
  other.renewal_of = old->cert;
  EXPECT_THAT(ca.authority->Issue(other), ErrorIs(Code::kPermissionDenied));
  IssueRequest same{MakeCsr("a.example.com"), Profile::kClient, 30, std::nullopt, {}};
  same.renewal_of = old->cert;
  const auto renewed = ca.authority->Issue(same);
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(renewed->cert.SubjectAltNames(), old->cert.SubjectAltNames());
  EXPECT_EQ(ca.store->FindBySerial(renewed->cert.SerialHex()).value().profile, "server");
}

TEST(CredentialNamesTest, ARenewalMaySpellItsNamesDifferently) {
  TestCa ca;
  const auto old = ca.authority->Issue(
      IssueRequest{MakeCsr("www.example.com"), Profile::kServer, 30, std::nullopt, {}});
  ASSERT_THAT(old, IsOk());
  // upper-dns-san.csr asks for WWW.Example.COM: the certificate's own name, in capitals.
  IssueRequest again{
      anchor::testing::LoadCsrFixture("upper-dns-san.csr"), Profile::kClient, 30, std::nullopt, {}};
  again.renewal_of = old->cert;
  const auto renewed = ca.authority->Issue(again);
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
    EXPECT_THAT(
        ca.authority->Issue(IssueRequest{MakeCsr(cn, sans), Profile::kAdmin, 30, std::nullopt,
                                         SecretBytes({t.token.data(), t.token.size()})}),
        ErrorIs(Code::kPermissionDenied))
        << cn;
  }
  const auto issued = ca.authority->Issue(
      IssueRequest{MakeCsr("web-1", {Name("dns:web-1.example.com")}), Profile::kAdmin, 30,
                   std::nullopt, SecretBytes({t.token.data(), t.token.size()})});
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
  const auto issued = ca.authority->Issue(
      IssueRequest{anchor::testing::LoadCsrFixture("upper-dns-san.csr"), Profile::kClient, 30,
                   std::nullopt, SecretBytes({t.token.data(), t.token.size()})});
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert.SubjectAltNames(),
            std::vector<crypto::GeneralName>{Name("dns:www.example.com")});
}

}  // namespace
}  // namespace anchor::ca
