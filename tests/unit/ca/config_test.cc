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
  EXPECT_EQ(back->CrlUrl(1), "https://ca.example.com:8443/crl");
  EXPECT_EQ(back->CrlUrl(2), "https://ca.example.com:8443/crl/2");
  EXPECT_EQ(back->CaIssuersUrl(3), "https://ca.example.com:8443/intermediate/3.crt");
  EXPECT_EQ(back->PolicyFor(Profile::kServer).dns_suffixes,
            c.profiles[Profile::kServer].dns_suffixes);
  EXPECT_EQ(back->PolicyFor(Profile::kServer).key_types.size(), 1u);
}

TEST(ConfigTest, RoleUriTemplatesRoundTripAndNeedTheId) {
  CaConfig c = CaConfig::Defaults();
  c.service_uri_template = "spiffe://fleet/service/{id}";
  const auto back = CaConfig::Parse(c.ToToml(), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->RoleUri(Profile::kService, "ingest"), "spiffe://fleet/service/ingest");
  EXPECT_EQ(back->RoleUri(Profile::kDevice, "pump-1"), "urn:anchor:device:pump-1");
  EXPECT_EQ(back->RoleUri(Profile::kClient, "pump-1"), "");
  const auto no_id = CaConfig::Parse("[service]\nuri_template = \"urn:x\"\n", "t");
  ASSERT_THAT(no_id, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(no_id.error().message().find("service.uri_template"), std::string::npos);
  EXPECT_THAT(CaConfig::Parse("[device]\nuri_template = \"urn:x:{id}:{id}\"\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  const auto not_uri = CaConfig::Parse("[device]\nuri_template = \"device {id}\"\n", "t");
  ASSERT_THAT(not_uri, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(not_uri.error().message().find("valid URI"), std::string::npos);
}

TEST(ConfigTest, RequiredAttestationNeedsAManufacturerToTrust) {
  CaConfig c = CaConfig::Defaults();
  c.server.tpm_manufacturer_ca = "/etc/anchor/tpm-makers.pem";
  c.profiles[Profile::kDevice].require_attestation = true;
  const auto back = CaConfig::Parse(c.ToToml(), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->PolicyFor(Profile::kDevice).require_attestation);
  EXPECT_FALSE(back->PolicyFor(Profile::kServer).require_attestation);
  EXPECT_EQ(back->server.tpm_manufacturer_ca, "/etc/anchor/tpm-makers.pem");
  const auto alone = CaConfig::Parse("[profiles.device]\nrequire_attestation = true\n", "t");
  ASSERT_THAT(alone, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(alone.error().message().find("profiles.device.require_attestation"), std::string::npos);
  EXPECT_NE(alone.error().message().find("tpm_manufacturer_ca"), std::string::npos);
  EXPECT_THAT(CaConfig::Parse("[profiles.device]\nrequire_attestation = \"yes\"\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  const auto admin = CaConfig::Parse(
      "[server]\ntpm_manufacturer_ca = \"m.pem\"\n[profiles.admin]\nrequire_attestation = true\n",
      "t");
  ASSERT_THAT(admin, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(admin.error().message().find("operator only"), std::string::npos);
}

TEST(ConfigTest, AUriClaimsTheRoleWhoseTemplateItFits) {
  CaConfig c = CaConfig::Defaults();
  c.service_uri_template = "spiffe://fleet/service/{id}";
  EXPECT_EQ(c.RoleOfUri("urn:anchor:device:pump-1"), Profile::kDevice);
  EXPECT_EQ(c.RoleOfUri("URN:ANCHOR:DEVICE:pump-1"), Profile::kDevice);
  EXPECT_EQ(c.RoleOfUri("spiffe://fleet/service/ingest"), Profile::kService);
  EXPECT_EQ(c.RoleOfUri("urn:anchor:device:"), std::nullopt);    // no id
  EXPECT_EQ(c.RoleOfUri("urn:anchor:service:x"), std::nullopt);  // not this CA's template
  EXPECT_EQ(c.RoleOfUri("https://example.com/"), std::nullopt);
}

TEST(ConfigTest, TheBootstrapProfileIsOneAFactoryCertificateMayObtain) {
  const auto admin = CaConfig::Parse("[server]\nbootstrap_profile = \"admin\"\n", "t");
  ASSERT_THAT(admin, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(admin.error().message().find("server.bootstrap_profile"), std::string::npos);
}

TEST(ConfigTest, BadValuesNameTheKey) {
  const auto unknown = CaConfig::Parse("[ca]\ncolour = \"blue\"\n", "t.toml");
  ASSERT_THAT(unknown, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(unknown.error().message().find("ca.colour"), std::string::npos);
  EXPECT_THAT(CaConfig::Parse("[profiles.server]\nmax_days = 0\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("[profiles.server]\nip_ranges = [\"10/8\"]\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("[profiles.root]\n", "t"), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(CaConfig::Parse("[ca]\npublic_url = \"ftp://x,y\"\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("this is not toml", "t"), ErrorIs(Code::kInvalidArgument));
}

TEST(ConfigTest, TheCasServerChoicesRoundTripAndAreBounded) {
  CaConfig c = CaConfig::Defaults();
  c.server.renewal_grace_seconds = 600;
  c.server.bootstrap_ca = "/etc/factory.pem";
  const auto back = CaConfig::Parse(c.ToToml(), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->server.renewal_grace_seconds, 600);
  EXPECT_EQ(back->server.bootstrap_ca, "/etc/factory.pem");
  EXPECT_EQ(back->server.bootstrap_profile, "device");

  const auto negative = CaConfig::Parse("[server]\nrenewal_grace_seconds = -1\n", "t");
  ASSERT_THAT(negative, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(negative.error().message().find("server.renewal_grace_seconds"), std::string::npos);
  EXPECT_THAT(CaConfig::Parse("[server]\nbootstrap_ca = 5\n", "t"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CaConfig::Parse("[server]\nbootstrap_profile = \"admin\"\n", "t"),
              ErrorIs(Code::kInvalidArgument));
}

// The transport's limits (server::ServerSettings) share [server] with the CA's choices; the CA
// reads only its own keys, and home/ refuses a key neither reads (config_file_test.cc).
TEST(ConfigTest, TheCaReadsOnlyItsOwnKeysOfServer) {
  const auto shared = CaConfig::Parse(
      "[server]\nmax_connections = 0\nthreads = \"x\"\nrenewal_grace_seconds = 60\n", "t");
  ASSERT_THAT(shared, IsOk());
  EXPECT_EQ(shared->server.renewal_grace_seconds, 60);
  EXPECT_EQ(CaConfig::Defaults().ToToml().find("max_connections"), std::string::npos)
      << "the transport's keys are written by whoever passes them";
  const std::string with = CaConfig::Defaults().ToToml("threads = 3\n");
  EXPECT_NE(with.find("[server]\nthreads = 3\n# simplereenroll"), std::string::npos) << with;
}

}  // namespace
}  // namespace anchor::ca
