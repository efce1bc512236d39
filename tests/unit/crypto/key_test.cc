// SPDX-License-Identifier: Apache-2.0
#include "crypto/key.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

class KeyTypeTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeyTypeTest, GeneratesAndRoundTripsThroughPkcs8) {
  const auto key = PrivateKey::Generate(GetParam());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->Type(), GetParam());
  const std::string pem = key->ToPkcs8Pem().value();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  const auto back = PrivateKey::FromPem(pem);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->Public().Equals(key->Public()));
}

INSTANTIATE_TEST_SUITE_P(All, KeyTypeTest,
                         ::testing::Values(KeyType::kEcP256, KeyType::kEcP384, KeyType::kEd25519,
                                           KeyType::kRsa2048));

TEST(KeyTest, EncryptedKeyNeedsTheRightPassphrase) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  const SecretBytes pass("correct horse");
  const std::string pem = key.ToPkcs8Pem(&pass).value();
  EXPECT_NE(pem.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  EXPECT_THAT(PrivateKey::FromPem(pem, &pass), IsOk());
  const SecretBytes wrong("wrong horse");
  EXPECT_THAT(PrivateKey::FromPem(pem, &wrong), ErrorIs(Code::kUnauthenticated));
  EXPECT_THAT(PrivateKey::FromPem(pem, nullptr), ErrorIs(Code::kFailedPrecondition));
}

TEST(KeyTest, RejectsGarbage) {
  EXPECT_THAT(PrivateKey::FromPem("not a key"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseKeyType("rsa-1024"), ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
