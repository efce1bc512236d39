// SPDX-License-Identifier: Apache-2.0
// The Authority under concurrent callers (group commit) and retried enrollments (idempotence).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "ca/enrollment_token.h"
#include "crypto/crypto_rng.h"
#include "store/audit_chain.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

CreatedToken Token(Authority& authority, store::Store& store, Rng& rng, const Clock& clock,
                   const std::string& cn) {
  return CreateToken(authority.policy(), store, rng, clock, NameRequest{cn, {}}, Profile::kDevice,
                     std::chrono::hours(1))
      .value();
}

// Redeem is simpleenroll without HTTP: the token's grant, then issuance under it.
Result<Issued> Redeem(Authority& authority, store::Store& store, const Clock& clock,
                      crypto::Csr csr, const CreatedToken& t) {
  const Authenticator authenticator(authority.config(), store, clock);
  ANCHOR_ASSIGN_OR_RETURN(
      Grant grant,
      authenticator.Authenticate(TokenCredential{SecretBytes({t.token.data(), t.token.size()})}));
  return authority.Issue(IssueRequest{std::move(csr), std::move(grant)});
}

// IdempotentEnrollmentTest: device "dev-1" enrolled once with token `token_` and key `key_`;
// `Retry` presents the same token again with a new CSR (a device may make one per attempt).
class IdempotentEnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    first_ = Redeem(*ca_.authority, *ca_.store, ca_.clock, Csr("dev-1"), token_);
    ASSERT_THAT(first_, IsOk());
  }
  crypto::Csr Csr(const std::string& cn, std::vector<crypto::GeneralName> sans = {}) const {
    return crypto::Csr::Create(key_, cn, std::move(sans)).value();
  }
  Result<Issued> Retry(crypto::Csr csr) {
    return Redeem(*ca_.authority, *ca_.store, ca_.clock, std::move(csr), token_);
  }

  // The intermediate outlives the device's certificate, which can then expire on its own.
  TestCa ca_{CaConfig::Defaults(), /*intermediate_days=*/730};
  CreatedToken token_ = Token(*ca_.authority, *ca_.store, ca_.rng, ca_.clock, "dev-1");
  crypto::PrivateKey key_ = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  Result<Issued> first_ = Error(Code::kInternal, "not issued");
};

// A device whose answer was lost retries with the same token and the same key: it gets the
// certificate the token paid for, and nothing new is written.
TEST_F(IdempotentEnrollmentTest, ARetryWithTheSameTokenAndKeyGetsTheSameCertificate) {
  const size_t audit_entries = ca_.store->AuditLog().value().size();
  const auto again = Retry(Csr("dev-1"));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->cert.SerialHex(), first_->cert.SerialHex());
  EXPECT_EQ(again->cert.ToDer(), first_->cert.ToDer());
  ASSERT_EQ(again->warnings.size(), 1u);
  EXPECT_NE(again->warnings[0].find("redeemed before"), std::string::npos);
  EXPECT_EQ(ca_.store->CountCertificates().value(), 1);
  EXPECT_EQ(ca_.store->AuditLog().value().size(), audit_entries);
}

TEST_F(IdempotentEnrollmentTest, AUsedTokenWithAnotherKeyStaysRefused) {
  EXPECT_THAT(Retry(MakeCsr("dev-1")), ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(ca_.store->CountCertificates().value(), 1);
}

TEST_F(IdempotentEnrollmentTest, ARevokedCertificateIsNotHandedOutAgain) {
  ASSERT_THAT(ca_.authority->Revoke(first_->cert.SerialHex(), 1), IsOk());
  EXPECT_THAT(Retry(Csr("dev-1")), ErrorIs(Code::kUnauthenticated));
}

// An expired certificate is of no use to a device: the retry is refused like any used token.
TEST_F(IdempotentEnrollmentTest, AnExpiredCertificateIsNotHandedOutAgain) {
  ca_.clock.Advance(
      std::chrono::duration_cast<std::chrono::seconds>(first_->cert.NotAfter() - ca_.clock.Now()));
  EXPECT_THAT(Retry(Csr("dev-1")), ErrorIs(Code::kUnauthenticated));
}

// A retry asks for what the first request was granted, or less; another CN or a name the
// certificate lacks is refused, as a first request for them would be.
TEST_F(IdempotentEnrollmentTest, ARetryAskingForOtherNamesIsRefused) {
  EXPECT_THAT(Retry(Csr("dev-2")), ErrorIs(Code::kUnauthenticated));
  EXPECT_THAT(Retry(Csr("dev-1", {crypto::ParseGeneralName("dns:evil.example.com").value()})),
              ErrorIs(Code::kUnauthenticated));
}

// The CA on a database file, with the production RNG, for many threads at once.
class ConcurrentIssuanceTest : public anchor::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    store_ = store::OpenSqliteStore(Path("ca.db")).value();
    authority_ = std::make_unique<Authority>(ca_.authority->config(), *ca_.root, *ca_.intermediate,
                                             *ca_.inter_key, *store_, ca_.clock, rng_);
  }

  TestCa ca_;
  crypto::CryptoRng rng_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Authority> authority_;
};

// Sixteen threads enroll at once through one Authority: every enrollment is recorded once, with
// its own serial and its own token consumed, and the audit chain is whole.
TEST_F(ConcurrentIssuanceTest, ConcurrentEnrollmentsAreEachRecordedOnce) {
  constexpr int kThreads = 16;
  constexpr int kEach = 6;
  std::vector<CreatedToken> tokens;
  for (int i = 0; i < kThreads * kEach; ++i) {
    tokens.push_back(Token(*authority_, *store_, rng_, ca_.clock, "dev-" + std::to_string(i)));
  }
  std::vector<std::string> serials(tokens.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kEach; ++k) {
        const size_t i = static_cast<size_t>(t * kEach + k);
        auto issued =
            Redeem(*authority_, *store_, ca_.clock, MakeCsr("dev-" + std::to_string(i)), tokens[i]);
        ASSERT_THAT(issued, IsOk());
        serials[i] = issued->cert.SerialHex();
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(std::set<std::string>(serials.begin(), serials.end()).size(), tokens.size());
  EXPECT_EQ(store_->CountCertificates().value(), static_cast<int64_t>(tokens.size()));
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto record = store_->FindToken(tokens[i].record.hash).value();
    EXPECT_EQ(record.used_by, serials[i]);
    EXPECT_EQ(store_->FindBySerial(serials[i]).value().token_hash, tokens[i].record.hash);
  }
  EXPECT_TRUE(store::VerifyAuditChain(store_->AuditLog().value()).empty());
}

// Inside shared commits, requests racing for one token with different keys get one certificate
// among them, and the requests around them (their own tokens) all commit.
TEST_F(ConcurrentIssuanceTest, ARefusalInsideAGroupFailsAlone) {
  constexpr int kRacers = 8;
  constexpr int kOthers = 8;
  const CreatedToken contested = Token(*authority_, *store_, rng_, ca_.clock, "contested");
  std::vector<CreatedToken> own;
  for (int i = 0; i < kOthers; ++i) {
    own.push_back(Token(*authority_, *store_, rng_, ca_.clock, "own-" + std::to_string(i)));
  }
  std::atomic<int> won{0}, refused{0}, others_ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&] {
      const auto r = Redeem(*authority_, *store_, ca_.clock, MakeCsr("contested"), contested);
      if (r) {
        ++won;
      } else if (r.error().code() == Code::kUnauthenticated) {
        ++refused;
      } else {
        ADD_FAILURE() << r.error().message();
      }
    });
  }
  for (int i = 0; i < kOthers; ++i) {
    threads.emplace_back([&, i] {
      if (Redeem(*authority_, *store_, ca_.clock, MakeCsr("own-" + std::to_string(i)), own[i])) {
        ++others_ok;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kRacers - 1);
  EXPECT_EQ(others_ok.load(), kOthers);
  EXPECT_EQ(store_->CountCertificates().value(), 1 + kOthers);
  EXPECT_TRUE(store::VerifyAuditChain(store_->AuditLog().value()).empty());
}

}  // namespace
}  // namespace anchor::ca
