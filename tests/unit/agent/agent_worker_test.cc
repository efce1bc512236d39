// SPDX-License-Identifier: Apache-2.0
// One attempt of the agent reads the time only from the clock it is given: a certificate not yet
// due is left alone and scheduled by that clock, and a failed renewal is dated and backed off by
// it, whatever the wall clock says.
#include "agent/agent_worker.h"

#include <gtest/gtest.h>

#include "core/exit_codes.h"
#include "core/file_io.h"
#include "crypto/cert_builder.h"
#include "crypto/key_file.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_rng.h"

namespace anchor::agent {
namespace {

using anchor::testing::IsOk;

// kIssued is far from today, so that a worker reading the wall clock would be caught.
const Clock::time_point kIssued = FromUnixSeconds(1'000'000'000);  // 2001-09-09
constexpr std::chrono::hours kLifetime{24 * 30};

class AgentWorkerTest : public anchor::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
    crypto::CertTemplate t;
    t.serial = {0x01, 0x02};
    t.common_name = "pump-7";
    t.not_before = kIssued;
    t.not_after = kIssued + kLifetime;
    t.key_usage = crypto::kDigitalSignature;
    t.authority_key_id = false;
    auto cert = crypto::SignCertificate(t, key.Public(), nullptr, key).value();
    settings_.key = Path("device.key");
    settings_.cert = Path("device.crt");
    settings_.ca_cert = Path("device.crt");  // any PEM: the server is never reached
    settings_.servers = {"https://127.0.0.1:1"};
    ASSERT_THAT(crypto::WritePrivateKeyFile(settings_.key, key, nullptr), IsOk());
    ASSERT_THAT(WriteFileAtomic(settings_.cert, cert.ToPem(), kPublicFileMode), IsOk());
  }

  AgentSettings settings_;
  anchor::testing::TestRng rng_{42};
};

TEST_F(AgentWorkerTest, NotDueIsScheduledByTheGivenClock) {
  const FixedClock clock(kIssued + std::chrono::hours(24));
  AgentState state;
  const AttemptResult result = RunAttempt(settings_, state, clock, rng_);
  EXPECT_EQ(result.end, AttemptEnd::kDone);
  const auto due = RenewalTime(kIssued, kIssued + kLifetime, kDefaultRenewAt);
  EXPECT_LE(state.next_attempt_unix, UnixSeconds(due));
  EXPECT_GE(state.next_attempt_unix, UnixSeconds(due - kLifetime / 20));
  EXPECT_EQ(state.failures, 0);
  EXPECT_EQ(LoadState(settings_.cert).value().next_renewal, state.next_renewal);
}

TEST_F(AgentWorkerTest, FailedRenewalIsDatedAndBackedOffByTheGivenClock) {
  const Clock::time_point now = kIssued + kLifetime - std::chrono::hours(1);
  const FixedClock clock(now);
  AgentState state;
  const AttemptResult result = RunAttempt(settings_, state, clock, rng_);
  ASSERT_EQ(result.end, AttemptEnd::kFailed);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(state.failures, 1);
  EXPECT_EQ(state.last_error_at, Iso8601(now));
  ASSERT_TRUE(IsTemporary(*result.error))
      << "nothing listens on port 1: " << result.error->message();
  EXPECT_GT(state.next_attempt_unix, UnixSeconds(now));
  EXPECT_LE(state.next_attempt_unix, UnixSeconds(now + std::chrono::hours(1)));
}

TEST_F(AgentWorkerTest, FirstEnrollmentWithoutACommonNameTriesNothing) {
  settings_.key = Path("none.key");
  settings_.cert = Path("none.crt");
  const FixedClock clock(kIssued);
  AgentState state;
  const AttemptResult result = RunAttempt(settings_, state, clock, rng_);
  EXPECT_EQ(result.end, AttemptEnd::kNoCommonName);
  EXPECT_FALSE(FileExists(settings_.cert));
}

}  // namespace
}  // namespace anchor::agent
