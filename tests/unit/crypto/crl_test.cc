// SPDX-License-Identifier: Apache-2.0
#include "crypto/crl.h"

#include <gtest/gtest.h>

#include "crypto/cert_builder.h"
#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

TEST(CrlTest, RoundTripsEntriesNumberAndDistributionPoint) {
  const Clock::time_point now = FromUnixSeconds(1767225600);
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  CertTemplate t;
  t.serial = {0x05};
  t.common_name = "CA";
  t.not_before = now;
  t.not_after = now + std::chrono::hours(100);
  t.is_ca = true;
  t.key_usage = kKeyCertSign | kCrlSign;
  t.authority_key_id = false;
  const auto ca = SignCertificate(t, key.Public(), nullptr, key).value();

  CrlTemplate tmpl;
  tmpl.crl_number = 7;
  tmpl.this_update = now;
  tmpl.next_update = now + std::chrono::hours(24);
  tmpl.entries = {{{0x12, 0x34}, now, 1}, {{0x56}, now, 0}};
  tmpl.distribution_point = "http://ca.local/crl";
  const auto crl = SignCrl(tmpl, ca, key);
  ASSERT_THAT(crl, IsOk());
  EXPECT_EQ(crl->Number(), 7);
  EXPECT_EQ(crl->NextUpdate(), now + std::chrono::hours(24));
  EXPECT_EQ(crl->IssuingDistributionPoints(), (std::vector<std::string>{"http://ca.local/crl"}));
  EXPECT_EQ(crl->AuthorityKeyIdHex(), ca.SubjectKeyIdHex());
  const auto entries = Crl::Parse(crl->ToPem()).value().Entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(crl->EntryCount(), 2u);
  EXPECT_TRUE(crl->VerifySignedBy(ca.GetPublicKey()));
  tmpl.entries.clear();  // a CRL without revokedCertificates at all
  EXPECT_EQ(SignCrl(tmpl, ca, key).value().EntryCount(), 0u);
}

TEST(CrlTest, ReasonsParseByName) {
  EXPECT_EQ(ParseReason("keyCompromise").value(), 1);
  EXPECT_EQ(ParseReason("SUPERSEDED").value(), 4);
  EXPECT_THAT(ParseReason("bored"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Crl::Parse("garbage"), ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
