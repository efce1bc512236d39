// SPDX-License-Identifier: Apache-2.0
#include "ca/config.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

TEST(ConfigTest, WrittenConfigParsesBackTheSame) {
  CaConfig c = CaConfig::Defaults();
  c.name = "fleet";
  c.public_url = "https://ca.example.com:8443";
  c.profiles[Profile::kServer].dns_suffixes = {"example.com"};
  c.profiles[Profile::kServer].key_types = {crypto::KeyType::kEcP256};
  const auto back = CaConfig::Parse(c.ToToml(), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->name, "fleet");
  EXPECT_EQ(back->CrlUrl(), "https://ca.example.com:8443/crl");
  EXPECT_EQ(back->PolicyFor(Profile::kServer).dns_suffixes, c.profiles[Profile::kServer].dns_suffixes);
  EXPECT_EQ(back->PolicyFor(Profile::kServer).key_types.size(), 1u);
}

TEST(ConfigTest, BadValuesNameTheKey) {
  const auto unknown = CaConfig::Parse("[ca]\ncolour = \"blue\"\n", "t.toml");
  ASSERT_THAT(unknown, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(unknown.error().message().find("ca.colour"), std::string::npos);
  EXPECT_THAT(CaConfig::Parse("[profiles.server]\nmax_days = 0\n", "t"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("[profiles.server]\nip_ranges = [\"10/8\"]\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("[profiles.root]\n", "t"), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(CaConfig::Parse("[ca]\npublic_url = \"ftp://x,y\"\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("this is not toml", "t"), ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::ca
