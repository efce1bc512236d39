// SPDX-License-Identifier: Apache-2.0
// The broker's own certificates checked at start: the listener's must serve TLS to clients, the
// plugin's must be a client of the CA; each refusal names the fix. Certificates come from a real
// (in-memory) anchor CA under each profile.
#include "plugins/mosquitto/listener_certificate.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;
using ::testing::HasSubstr;

class ListenerCertificateTest : public ::testing::Test {
 protected:
  // FullChain is what anchor-agent writes to --cert: the leaf, then the intermediate.
  std::string FullChain(const std::string& cn, ca::Profile profile) {
    const auto cert =
        ca_.authority->Issue({MakeCsr(cn), ca::OperatorRequest{profile}}).value().cert;
    return cert.ToPem() + ca_.intermediate->ToPem();
  }
  Status Check(const std::string& pem, CertificateRole role) {
    return CheckBrokerCertificate(pem, {*ca_.root}, role, now_);
  }

  TestCa ca_;
  Clock::time_point now_ = ca_.clock.Now() + std::chrono::hours(1);
};

TEST_F(ListenerCertificateTest, APeerCertificateServesTheListenerAndTheFeed) {
  const std::string pem = FullChain("mqtt.example.com", ca::Profile::kPeer);
  EXPECT_THAT(Check(pem, CertificateRole::kListener), IsOk());
  EXPECT_THAT(Check(pem, CertificateRole::kFeedClient), IsOk());
  EXPECT_THAT(DescribeLeaf(pem), HasSubstr("CN=mqtt.example.com, serverAuth+clientAuth"));
}

TEST_F(ListenerCertificateTest, AClientOnlyCertificateIsRefusedForTheListenerNamingThePeerProfile) {
  for (const ca::Profile p : {ca::Profile::kDevice, ca::Profile::kClient}) {
    const Status st = Check(FullChain("broker", p), CertificateRole::kListener);
    ASSERT_THAT(st, ErrorIs(Code::kFailedPrecondition));
    EXPECT_THAT(st.error().message(), HasSubstr("without serverAuth"));
    EXPECT_THAT(st.error().message(), HasSubstr("'unsupported certificate'"));
    EXPECT_THAT(st.error().message(), HasSubstr("anchor token create --cn broker --profile peer"));
  }
}

TEST_F(ListenerCertificateTest, AServerOnlyCertificateServesTheListenerButNotTheFeed) {
  const std::string pem = FullChain("mqtt.example.com", ca::Profile::kServer);
  EXPECT_THAT(Check(pem, CertificateRole::kListener), IsOk());
  const Status st = Check(pem, CertificateRole::kFeedClient);
  ASSERT_THAT(st, ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(st.error().message(), HasSubstr("without clientAuth"));
  EXPECT_THAT(st.error().message(), HasSubstr("--profile peer"));
}

TEST_F(ListenerCertificateTest, AnExpiredCertificateIsRefusedSayingWhen) {
  const std::string pem = FullChain("mqtt.example.com", ca::Profile::kPeer);
  now_ += std::chrono::hours(24 * 400);
  const Status st = Check(pem, CertificateRole::kListener);
  ASSERT_THAT(st, ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(st.error().message(), HasSubstr("it expired on"));
}

TEST_F(ListenerCertificateTest, ALeafWithoutItsIntermediateIsRefusedNamingTheFullChain) {
  const auto cert =
      ca_.authority->Issue({MakeCsr("mqtt.example.com"), ca::OperatorRequest{ca::Profile::kPeer}})
          .value()
          .cert;
  const Status st = Check(cert.ToPem(), CertificateRole::kListener);
  ASSERT_THAT(st, ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(st.error().message(), HasSubstr("must hold the intermediate"));
}

TEST_F(ListenerCertificateTest, ACertificateOfAnotherCaIsRefused) {
  TestCa other;
  const auto cert =
      other.authority->Issue({MakeCsr("mqtt.example.com"), ca::OperatorRequest{ca::Profile::kPeer}})
          .value()
          .cert;
  const Status st = Check(cert.ToPem() + other.intermediate->ToPem(), CertificateRole::kListener);
  ASSERT_THAT(st, ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(st.error().message(), HasSubstr("does not verify under the root(s) of "
                                              "plugin_opt_ca_file"));
  // A listener certificate of another CA, whose roots plugin_opt_listener_ca_file names.
  EXPECT_THAT(
      CheckBrokerCertificate(cert.ToPem() + other.intermediate->ToPem(), {*other.root},
                             CertificateRole::kListener, now_, "plugin_opt_listener_ca_file"),
      IsOk());
}

TEST_F(ListenerCertificateTest, AFileWithoutACertificateOrWithTheCaFirstIsRefused) {
  EXPECT_THAT(Check("not pem", CertificateRole::kListener), ErrorIs(Code::kFailedPrecondition));
  const Status st = Check(ca_.intermediate->ToPem(), CertificateRole::kListener);
  ASSERT_THAT(st, ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(st.error().message(), HasSubstr("is a CA"));
}

}  // namespace
}  // namespace anchor::mqtt
