// SPDX-License-Identifier: Apache-2.0
#include "crypto/chain_verifier.h"

#include <gtest/gtest.h>

#include "crypto/cert_builder.h"
#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

const Clock::time_point kNow = FromUnixSeconds(1767225600);

struct Chain {
  PrivateKey root_key = PrivateKey::Generate(KeyType::kEcP256).value();
  PrivateKey leaf_key = PrivateKey::Generate(KeyType::kEcP256).value();
  Certificate root = Make(true, {0x01}, root_key, nullptr);
  Certificate leaf = Make(false, {0x02}, leaf_key, &root);

  Certificate Make(bool ca, std::vector<uint8_t> serial, const PrivateKey& key,
                   const Certificate* issuer) {
    CertTemplate t;
    t.serial = std::move(serial);
    t.common_name = ca ? "Root" : "host.local";
    t.not_before = kNow;
    t.not_after = kNow + std::chrono::hours(ca ? 1000 : 48);
    t.is_ca = ca;
    t.key_usage = ca ? (kKeyCertSign | kCrlSign) : kDigitalSignature;
    if (!ca) {
      t.ext_key_usage = {ExtKeyUsage::kServerAuth};
      t.sans = {ParseGeneralName("dns:host.local").value()};
    }
    t.authority_key_id = !ca;
    return SignCertificate(t, key.Public(), issuer, issuer ? root_key : key).value();
  }
};

TEST(ChainVerifierTest, AcceptsAValidChainForItsHostAndPurpose) {
  Chain c;
  VerifyOptions o{.trusted = {c.root},
                  .host = "host.local",
                  .purpose = Purpose::kServer,
                  .at = kNow + std::chrono::hours(1)};
  EXPECT_THAT(VerifyChain(c.leaf, o), IsOk());
}

TEST(ChainVerifierTest, RejectsWrongHostPurposeTimeAndAnchor) {
  Chain c;
  VerifyOptions o{.trusted = {c.root}, .at = kNow + std::chrono::hours(1)};
  o.host = "other.local";
  EXPECT_THAT(VerifyChain(c.leaf, o), ErrorIs(Code::kInvalidArgument));
  o.host.clear();
  o.purpose = Purpose::kClient;
  EXPECT_THAT(VerifyChain(c.leaf, o), ErrorIs(Code::kInvalidArgument));
  o.purpose = Purpose::kAny;
  o.at = kNow + std::chrono::hours(49);
  const auto expired = VerifyChain(c.leaf, o);
  ASSERT_THAT(expired, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos);
  Chain other;
  o.at = kNow + std::chrono::hours(1);
  o.trusted = {other.root};
  EXPECT_THAT(VerifyChain(c.leaf, o), ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
