// SPDX-License-Identifier: Apache-2.0
#include "crypto/csr.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

TEST(CsrTest, CreatesAVerifiableRequestWithNames) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  const auto csr =
      Csr::Create(key, "device-1",
                  {ParseGeneralName("dns:a.example").value(), ParseGeneralName("ip:::1").value()});
  ASSERT_THAT(csr, IsOk());
  EXPECT_THAT(csr->VerifySignature(), IsOk());
  EXPECT_EQ(csr->CommonName(), "device-1");
  const auto content = csr->ReadContent();
  ASSERT_THAT(content, IsOk());
  ASSERT_EQ(content->sans.size(), 2u);
  EXPECT_EQ(content->sans[1].ToString(), "ip:::1");
  const auto reparsed = Csr::Parse(csr->ToPem());
  ASSERT_THAT(reparsed, IsOk());
  EXPECT_TRUE(reparsed->GetPublicKey().Equals(key.Public()));
}

TEST(CsrTest, RejectsTamperedSignature) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  std::vector<uint8_t> der = Csr::Create(key, "x", {}).value().ToDer();
  der[der.size() - 3] ^= 0x01;
  const auto csr = Csr::FromDer(der);
  ASSERT_THAT(csr, IsOk());
  EXPECT_THAT(csr->VerifySignature(), ErrorIs(Code::kInvalidArgument));
}

TEST(CsrTest, RejectsTrailingBytesAndGarbage) {
  const auto key = PrivateKey::Generate(KeyType::kEd25519).value();
  std::vector<uint8_t> der = Csr::Create(key, "x", {}).value().ToDer();
  der.push_back(0);
  EXPECT_THAT(Csr::FromDer(der), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Parse("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Parse(""), ErrorIs(Code::kInvalidArgument));
}

TEST(GeneralNameTest, ParsesKindsAndBareValues) {
  EXPECT_EQ(ParseGeneralName("DNS:Example.COM").value().ToString(), "dns:example.com");
  EXPECT_EQ(ParseGeneralName("10.0.0.1").value().kind, GeneralName::Kind::kIp);
  EXPECT_EQ(ParseGeneralName("::1").value().ToString(), "ip:::1");
  EXPECT_EQ(ParseGeneralName("uri:urn:x:1").value().value, "urn:x:1");
  EXPECT_THAT(ParseGeneralName("ip:999.1.1.1"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseGeneralName("ftp:x"), ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
