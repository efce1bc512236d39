// SPDX-License-Identifier: Apache-2.0
#include "ca/authority.h"

#include <gtest/gtest.h>

#include <set>

#include "core/text.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

IssueRequest Request(crypto::Csr csr, Profile p = Profile::kClient) {
  return IssueRequest{std::move(csr), OperatorRequest{p}};
}

TEST(AuthorityTest, IssuesARecordedLeafWithRandomSerial) {
  TestCa ca;
  const auto issued = ca.authority->Issue(Request(MakeCsr("device-1"), Profile::kDevice));
  ASSERT_THAT(issued, IsOk());
  const auto& cert = issued->cert;
  EXPECT_FALSE(cert.IsCa());
  EXPECT_EQ(cert.SerialBytes().size(), 16u);  // TestRng: the top byte is not zero
  EXPECT_TRUE(cert.VerifySignedBy(ca.intermediate->GetPublicKey()));
  const auto row = ca.store->FindBySerial(cert.SerialHex());
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->fingerprint, cert.Sha256Fingerprint());
  EXPECT_EQ(row->profile, "device");
}

TEST(AuthorityTest, RejectsTamperedCsrBeforeAnythingElse) {
  TestCa ca;
  auto der = MakeCsr("x").ToDer();
  der[der.size() - 2] ^= 0x01;
  auto tampered = crypto::Csr::FromDer(der);
  ASSERT_THAT(tampered, IsOk());
  EXPECT_THAT(ca.authority->Issue(Request(std::move(tampered).value())),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(ca.store->CountCertificates().value(), 0);
}

TEST(AuthorityTest, RefusesWithAnExpiredOrNotYetValidCa) {
  TestCa ca(CaConfig::Defaults(), /*intermediate_days=*/10);
  ca.clock.Advance(std::chrono::hours(24 * 11));
  EXPECT_THAT(ca.authority->Issue(Request(MakeCsr("late"))), ErrorIs(Code::kFailedPrecondition));
  TestCa early;
  early.clock.Advance(-std::chrono::hours(1));
  EXPECT_THAT(early.authority->Issue(Request(MakeCsr("early"))),
              ErrorIs(Code::kFailedPrecondition));
  EXPECT_EQ(ca.store->CountCertificates().value(), 0);
}

TEST(AuthorityTest, BatchIsAllOrNothing) {
  TestCa ca;
  std::vector<IssueRequest> requests;
  for (int i = 0; i < 5; ++i) {
    requests.push_back(Request(MakeCsr("dev-" + std::to_string(i)), Profile::kDevice));
  }
  requests.push_back(Request(MakeCsr("bad id!"), Profile::kDevice));
  size_t calls = 0;
  const auto st = ca.authority->IssueBatch(requests, 2, [&](auto, size_t) {
    ++calls;
    return OkStatus();
  });
  EXPECT_THAT(st, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(st.error().message().find("request #6"), std::string::npos);
  EXPECT_EQ(calls, 0u);
  EXPECT_EQ(ca.store->CountCertificates().value(), 0);
}

TEST(AuthorityTest, ABatchNamesEveryRefusedRequestBeforeSigningAny) {
  TestCa ca;
  std::vector<IssueRequest> requests;
  requests.push_back(Request(MakeCsr("bad id!"), Profile::kDevice));
  requests.push_back(Request(MakeCsr("dev-1"), Profile::kDevice));
  requests.push_back(Request(MakeCsr("also bad"), Profile::kDevice));
  std::vector<std::string> refused;
  const auto st = ca.authority->IssueBatch(
      requests, 2, [&](auto, size_t) { return OkStatus(); },
      [&](const Error& e) { refused.push_back(e.message()); });
  ASSERT_THAT(st, ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(st.error().message(), "2 of 3 requests are refused; nothing was signed");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].rfind("request #1: ", 0), 0u);
  EXPECT_EQ(refused[1].rfind("request #3: ", 0), 0u);
  EXPECT_EQ(ca.store->CountCertificates().value(), 0);
}

TEST(AuthorityTest, BatchCommitsInGroupsWithDistinctSerials) {
  TestCa ca;
  std::vector<IssueRequest> requests;
  for (int i = 0; i < 300; ++i) {
    requests.push_back(Request(MakeCsr("dev-" + std::to_string(i)), Profile::kDevice));
  }
  std::set<std::string> serials;
  std::vector<size_t> firsts;
  ASSERT_THAT(ca.authority->IssueBatch(requests, 128,
                                       [&](std::span<const Issued> group, size_t first) {
                                         // Rows are committed before the callback runs.
                                         EXPECT_EQ(ca.store->CountCertificates().value(),
                                                   static_cast<int64_t>(first + group.size()));
                                         for (const auto& i : group) {
                                           serials.insert(i.cert.SerialHex());
                                         }
                                         firsts.push_back(first);
                                         return OkStatus();
                                       }),
              IsOk());
  EXPECT_EQ(serials.size(), 300u);
  EXPECT_EQ(firsts, (std::vector<size_t>{0, 128, 256}));
}

TEST(AuthorityTest, SerialCollisionIsRetriedThenReported) {
  TestCa ca;
  anchor::testing::RepeatingRng same;
  Authority repeating(ca.authority->config(), *ca.root, *ca.intermediate, *ca.inter_key, *ca.store,
                      ca.clock, same);
  ASSERT_THAT(repeating.Issue(Request(MakeCsr("a"))), IsOk());
  EXPECT_THAT(repeating.Issue(Request(MakeCsr("b"))), ErrorIs(Code::kAlreadyExists));
  EXPECT_EQ(ca.store->CountCertificates().value(), 1);
}

TEST(AuthorityTest, RevokedCertificateAppearsInTheCrl) {
  TestCa ca;
  const auto a = ca.authority->Issue(Request(MakeCsr("a"))).value();
  const auto b = ca.authority->Issue(Request(MakeCsr("b"))).value();
  ASSERT_THAT(ca.authority->Revoke("00" + a.cert.SerialHex(), 1), IsOk());
  EXPECT_THAT(ca.authority->Revoke("zz", 1), ErrorIs(Code::kInvalidArgument));
  const auto crl = ca.authority->BuildCrl();
  ASSERT_THAT(crl, IsOk());
  ASSERT_EQ(crl->Entries().size(), 1u);
  EXPECT_EQ(HexEncode(crl->Entries()[0].serial), a.cert.SerialHex());
  EXPECT_EQ(crl->Entries()[0].reason, 1);
  EXPECT_TRUE(crl->VerifySignedBy(ca.intermediate->GetPublicKey()));
  EXPECT_EQ(ca.authority->BuildCrl().value().Number(), crl->Number() + 1);
  (void)b;
}

TEST(AuthorityTest, OcspSignerIsAShortLivedRecordedNonCaResponder) {
  TestCa ca;
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  EXPECT_THAT(ca.authority->IssueOcspSigner(key.Public(), 31), ErrorIs(Code::kInvalidArgument));
  const auto signer = ca.authority->IssueOcspSigner(key.Public(), 7);
  ASSERT_THAT(signer, IsOk());
  EXPECT_FALSE(signer->IsCa());
  EXPECT_EQ(signer->ExtendedKeyUsageNames(), std::vector<std::string>{"OCSPSigning"});
  EXPECT_TRUE(signer->HasExtension(crypto::kOidOcspNoCheck));
  EXPECT_LE(signer->NotAfter(), ca.clock.Now() + std::chrono::hours(24 * 7));
  EXPECT_EQ(ca.store->FindBySerial(signer->SerialHex()).value().profile, "ocsp-signer");
}

TEST(AuthorityTest, DefaultMinutesMakeShortLivedCertificatesUnlessDaysAreAsked) {
  CaConfig config = CaConfig::Defaults();
  config.profiles[Profile::kDevice].default_minutes = 3;
  TestCa ca(config);
  const auto short_lived =
      ca.authority->Issue({MakeCsr("pump-1"), OperatorRequest{Profile::kDevice}}).value().cert;
  EXPECT_EQ(short_lived.NotAfter(), ca.clock.Now() + std::chrono::minutes(3));
  const auto asked =
      ca.authority->Issue({MakeCsr("pump-2"), OperatorRequest{Profile::kDevice, 2}}).value().cert;
  EXPECT_EQ(asked.NotAfter(), ca.clock.Now() + std::chrono::hours(48));
  const auto back = CaConfig::Parse(config.ToToml(), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->PolicyFor(Profile::kDevice).default_minutes, 3);
  EXPECT_THAT(CaConfig::Parse("[profiles.device]\nmax_days = 1\ndefault_minutes = 1441\n", "t"),
              ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::ca
