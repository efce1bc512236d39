// SPDX-License-Identifier: Apache-2.0
#include "crypto/certificate.h"

#include <gtest/gtest.h>

#include "crypto/cert_builder.h"
#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

const Clock::time_point kNow = FromUnixSeconds(1767225600);

CertTemplate RootLike() {
  CertTemplate t;
  t.serial = {0x01, 0x02};
  t.common_name = "Root";
  t.not_before = kNow;
  t.not_after = kNow + std::chrono::hours(24 * 10);
  t.is_ca = true;
  t.key_usage = kKeyCertSign | kCrlSign;
  t.authority_key_id = false;
  return t;
}

TEST(CertBuilderTest, EncodesExactlyTheTemplate) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  const auto root = SignCertificate(RootLike(), key.Public(), nullptr, key);
  ASSERT_THAT(root, IsOk());
  EXPECT_TRUE(root->IsCa());
  EXPECT_TRUE(root->IsSelfIssued());
  EXPECT_EQ(root->SerialHex(), "0102");
  EXPECT_EQ(root->NotAfter(), kNow + std::chrono::hours(240));
  EXPECT_EQ(root->KeyUsageNames(), (std::vector<std::string>{"keyCertSign", "cRLSign"}));
  EXPECT_TRUE(root->KeyUsageCritical());
  EXPECT_FALSE(root->SubjectKeyIdHex().empty());
  EXPECT_TRUE(root->AuthorityKeyIdHex().empty());

  const auto leaf_key = PrivateKey::Generate(KeyType::kEd25519).value();
  CertTemplate leaf;
  leaf.serial = {0x7f, 0xff};
  leaf.common_name = "svc";
  leaf.not_before = kNow;
  leaf.not_after = kNow + std::chrono::hours(24);
  leaf.key_usage = kDigitalSignature;
  leaf.ext_key_usage = {ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth};
  leaf.sans = {ParseGeneralName("dns:svc.local").value()};
  leaf.crl_urls = {"http://ca.local/crl"};
  leaf.ocsp_urls = {"http://ca.local/ocsp"};
  const auto cert = SignCertificate(leaf, leaf_key.Public(), &*root, key);
  ASSERT_THAT(cert, IsOk());
  EXPECT_FALSE(cert->IsCa());
  EXPECT_EQ(cert->AuthorityKeyIdHex(), root->SubjectKeyIdHex());
  EXPECT_EQ(cert->ExtendedKeyUsageNames(), (std::vector<std::string>{"serverAuth", "clientAuth"}));
  EXPECT_EQ(cert->CrlDistributionPoints(), (std::vector<std::string>{"http://ca.local/crl"}));
  EXPECT_EQ(cert->OcspUrls(), (std::vector<std::string>{"http://ca.local/ocsp"}));
  EXPECT_TRUE(cert->VerifySignedBy(root->GetPublicKey()));
  EXPECT_FALSE(cert->VerifySignedBy(leaf_key.Public()));
}

TEST(CertBuilderTest, RefusesZeroSerialAndInvertedValidity) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  CertTemplate t = RootLike();
  t.serial = {0x00};
  EXPECT_THAT(SignCertificate(t, key.Public(), nullptr, key), ErrorIs(Code::kInvalidArgument));
  t = RootLike();
  t.not_after = t.not_before;
  EXPECT_THAT(SignCertificate(t, key.Public(), nullptr, key), ErrorIs(Code::kInvalidArgument));
}

TEST(CertificateTest, ParsesBundlesAndRejectsTrailingBytes) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  const auto root = SignCertificate(RootLike(), key.Public(), nullptr, key).value();
  const auto all = Certificate::ParseAll(root.ToPem() + root.ToPem());
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 2u);
  auto der = root.ToDer();
  der.push_back(0);
  EXPECT_THAT(Certificate::FromDer(der), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Certificate::ParseAll("-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"),
              ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
