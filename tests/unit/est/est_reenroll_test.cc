// SPDX-License-Identifier: Apache-2.0
// simplereenroll (the client certificate as credential) and bootstrap enrollment with a factory
// certificate, as pure functions over http::Request.
#include <gtest/gtest.h>

#include "ca/ca_templates.h"
#include "crypto/base64.h"
#include "crypto/pkcs7.h"
#include "est/est_service.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::est {
namespace {

using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;
using crypto::GeneralName;

http::Request Post(const std::string& op, const crypto::Csr& csr,
                   const std::vector<crypto::Certificate>& chain) {
  http::Request r;
  r.method = "POST";
  r.target = "/.well-known/est/" + op;
  r.headers["Content-Type"] = "application/pkcs10";
  r.body = crypto::Base64Encode(csr.ToDer(), /*wrap=*/true);
  for (const auto& c : chain) {
    r.peer_chain.push_back(c);
  }
  return r;
}

crypto::Certificate Answer(const http::Response& r) {
  return crypto::CertsFromPkcs7(crypto::Base64Decode(r.body).value()).value().front();
}

class ReenrollTest : public ::testing::Test {
 protected:
  // Device issues a device certificate for `cn` and keeps its key.
  crypto::Certificate Device(const std::string& cn) {
    key_ = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
    auto csr = crypto::Csr::Create(key_, cn, {}).value();
    return ca_.authority->Issue({std::move(csr), ca::OperatorRequest{ca::Profile::kDevice}})
        .value()
        .cert;
  }
  http::Response Reenroll(const crypto::Csr& csr, const crypto::Certificate& current) {
    return est_.SimpleReenroll(Post("simplereenroll", csr, {current, *ca_.intermediate}));
  }
  crypto::Csr SameKeyCsr(const std::string& cn, std::vector<GeneralName> sans = {}) {
    return crypto::Csr::Create(key_, cn, sans).value();
  }

  TestCa ca_;
  crypto::PrivateKey key_ = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  EstService est_{*ca_.authority, *ca_.authenticator};
};

TEST_F(ReenrollTest, RenewsWithTheSameIdentityAndProfileWithOrWithoutANewKey) {
  const auto current = Device("meter-1");
  const http::Response same = Reenroll(SameKeyCsr("meter-1"), current);
  ASSERT_EQ(same.status, 200) << same.body;
  const auto renewed = Answer(same);
  EXPECT_EQ(renewed.Subject(), current.Subject());
  EXPECT_EQ(renewed.SubjectAltNames(), current.SubjectAltNames());  // the device URI is kept
  EXPECT_NE(renewed.SerialHex(), current.SerialHex());
  EXPECT_EQ(ca_.store->FindBySerial(renewed.SerialHex()).value().profile, "device");

  const http::Response rekey = Reenroll(MakeCsr("meter-1"), current);
  ASSERT_EQ(rekey.status, 200) << rekey.body;
  EXPECT_FALSE(Answer(rekey).GetPublicKey().Equals(current.GetPublicKey()));
}

TEST_F(ReenrollTest, RefusesAnotherNameOrANewSanWith403) {
  const auto current = Device("meter-1");
  EXPECT_EQ(Reenroll(SameKeyCsr("meter-2"), current).status, 403);
  EXPECT_EQ(
      Reenroll(SameKeyCsr("meter-1", {{GeneralName::Kind::kDns, "evil.example"}}), current).status,
      403);
  EXPECT_EQ(ca_.store->CountCertificates().value(), 1);
}

TEST_F(ReenrollTest, RefusesMissingRevokedExpiredUnknownAndForeignCertificatesWith401) {
  const auto current = Device("meter-1");
  EXPECT_EQ(est_.SimpleReenroll(Post("simplereenroll", SameKeyCsr("meter-1"), {})).status, 401);

  // Signed by the intermediate but never recorded (e.g. a store restored from an old backup).
  crypto::CertTemplate tmpl;
  tmpl.serial = {0x01, 0x02};
  tmpl.common_name = "meter-1";
  tmpl.not_before = ca_.clock.Now();
  tmpl.not_after = ca_.clock.Now() + std::chrono::hours(24);
  const auto unrecorded =
      crypto::SignCertificate(tmpl, key_.Public(), ca_.intermediate.get(), *ca_.inter_key).value();
  EXPECT_EQ(Reenroll(SameKeyCsr("meter-1"), unrecorded).status, 401);

  TestCa other;
  const auto foreign =
      other.authority->Issue({MakeCsr("meter-1"), ca::OperatorRequest{ca::Profile::kDevice}})
          .value()
          .cert;
  EXPECT_EQ(Reenroll(MakeCsr("meter-1"), foreign).status, 401);

  ASSERT_THAT(ca_.authority->Revoke(current.SerialHex(), 1), IsOk());
  const http::Response revoked = Reenroll(SameKeyCsr("meter-1"), current);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_NE(revoked.body.find("revoked"), std::string::npos) << revoked.body;
  EXPECT_EQ(ca_.store->CountCertificates().value(), 1);
}

TEST_F(ReenrollTest, AnExpiredCertificateRenewsOnlyWithinTheGracePeriod) {
  ca::CaConfig config = ca::CaConfig::Defaults();
  config.server.renewal_grace_seconds = 3600;
  TestCa ca(config);
  EstService est(*ca.authority, *ca.authenticator);
  const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const auto current = ca.authority
                           ->Issue({crypto::Csr::Create(key, "meter-1", {}).value(),
                                    ca::OperatorRequest{ca::Profile::kDevice, 1}})
                           .value()
                           .cert;
  const auto csr = crypto::Csr::Create(key, "meter-1", {}).value();
  ca.clock.Advance(std::chrono::hours(24) + std::chrono::minutes(30));  // expired 30 min ago
  EXPECT_EQ(est.SimpleReenroll(Post("simplereenroll", csr, {current})).status, 200);
  ca.clock.Advance(std::chrono::hours(1));  // 1 h 30 min: beyond the grace period
  const http::Response late = est.SimpleReenroll(Post("simplereenroll", csr, {current}));
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("grace"), std::string::npos) << late.body;
}

class BootstrapTest : public ::testing::Test {
 protected:
  crypto::Certificate FactoryCert(const std::string& cn) { return factory_.Leaf(cn); }

  TestCa ca_;
  anchor::testing::TestFactory factory_{ca_.clock.Now()};
  ca::Authenticator trusting_{ca_.authority->config(), *ca_.store, ca_.clock, factory_.Trust()};
};

TEST_F(BootstrapTest, AFactoryCertificateEnrollsItsOwnCnUnderTheBootstrapProfile) {
  EstService est(*ca_.authority, trusting_);
  const http::Response r =
      est.SimpleEnroll(Post("simpleenroll", MakeCsr("pump-4"), {FactoryCert("pump-4")}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ca_.store->FindBySerial(Answer(r).SerialHex()).value().profile, "device");

  EXPECT_EQ(
      est.SimpleEnroll(Post("simpleenroll", MakeCsr("pump-5"), {FactoryCert("pump-4")})).status,
      403);
}

TEST_F(BootstrapTest, OtherCertificatesOrNoBootstrapCaAreRefused) {
  EstService est(*ca_.authority, trusting_);
  // One of this CA's own device certificates is not a factory certificate.
  const auto own =
      ca_.authority->Issue({MakeCsr("pump-4"), ca::OperatorRequest{ca::Profile::kDevice}})
          .value()
          .cert;
  EXPECT_EQ(est.SimpleEnroll(Post("simpleenroll", MakeCsr("pump-4"), {own})).status, 401);

  EstService without(*ca_.authority, *ca_.authenticator);
  EXPECT_EQ(
      without.SimpleEnroll(Post("simpleenroll", MakeCsr("pump-4"), {FactoryCert("pump-4")})).status,
      401);
  EXPECT_EQ(ca_.store->CountCertificates().value(), 1);
}

}  // namespace
}  // namespace anchor::est
