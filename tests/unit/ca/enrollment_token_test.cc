// SPDX-License-Identifier: Apache-2.0
#include "ca/enrollment_token.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

CreatedToken Token(TestCa& ca, const std::string& cn, std::vector<const char*> sans = {},
                   Profile profile = Profile::kDevice, int ttl_seconds = 3600) {
  NameRequest names{cn, {}};
  for (const char* s : sans) {
    names.sans.push_back(crypto::ParseGeneralName(s).value());
  }
  return CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock, names, profile,
                     std::chrono::seconds(ttl_seconds))
      .value();
}

// Redeem is simpleenroll without HTTP: the token's grant, then issuance under it.
Result<Issued> Redeem(TestCa& ca, crypto::Csr csr, const CreatedToken& t) {
  return ca.Enroll(std::move(csr), TokenCredential{SecretBytes({t.token.data(), t.token.size()})});
}

int64_t Rows(TestCa& ca) { return ca.store->CountCertificates().value(); }

TEST(EnrollmentTokenTest, StoredOnlyAsAHash) {
  TestCa ca;
  const CreatedToken t = Token(ca, "sensor-1");
  const std::string text(t.token.data(), t.token.size());
  EXPECT_TRUE(text.starts_with("anc_"));
  EXPECT_EQ(text.size(), 4u + 64u);
  const auto stored = ca.store->FindToken(HashToken(text));
  ASSERT_THAT(stored, IsOk());
  EXPECT_NE(stored->hash, text);
  EXPECT_EQ(stored->used_at, 0);
}

TEST(EnrollmentTokenTest, RedeemsOnceForItsNamesAndProfile) {
  TestCa ca;
  const CreatedToken t = Token(ca, "sensor-1");
  const auto issued = Redeem(ca, MakeCsr("sensor-1"), t);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert.CommonName(), "sensor-1");
  EXPECT_EQ(issued->cert.ExtendedKeyUsageNames(), (std::vector<std::string>{"clientAuth"}));
  EXPECT_EQ(issued->cert.SubjectAltNames().back().ToString(), "uri:urn:anchor:device:sensor-1");
  const auto stored = ca.store->FindToken(t.record.hash).value();
  EXPECT_EQ(stored.used_by, issued->cert.SerialHex());
  EXPECT_EQ(ca.store->FindBySerial(issued->cert.SerialHex())->token_hash, t.record.hash);

  EXPECT_THAT(Redeem(ca, MakeCsr("sensor-1"), t), ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(Rows(ca), 1);
}

TEST(EnrollmentTokenTest, RefusedRedemptionsLeaveTheTokenUsable) {
  CaConfig config = CaConfig::Defaults();
  config.profiles[Profile::kServer].key_types = {crypto::KeyType::kEcP256};
  TestCa ca(config);
  const CreatedToken t = Token(ca, "web-1", {"dns:web-1.example.com"}, Profile::kServer);
  // Names outside the token's.
  EXPECT_THAT(Redeem(ca, MakeCsr("web-2"), t), ErrorIs(Code::kPermissionDenied));
  EXPECT_THAT(
      Redeem(ca, MakeCsr("web-1", {crypto::ParseGeneralName("dns:evil.example.com").value()}), t),
      ErrorIs(Code::kPermissionDenied));
  // A failure after the token check (policy: a key type the profile does not take) does not
  // consume it either.
  EXPECT_THAT(Redeem(ca, MakeCsr("web-1", {}, crypto::KeyType::kEcP384), t),
              ErrorIs(Code::kPermissionDenied));
  // A tampered CSR fails proof of possession, before anything is decided with the token.
  auto der = MakeCsr("web-1").ToDer();
  der[der.size() - 2] ^= 1;
  EXPECT_THAT(Redeem(ca, crypto::Csr::FromDer(der).value(), t), ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(Rows(ca), 0);
  EXPECT_EQ(ca.store->FindToken(t.record.hash)->used_at, 0);

  const auto issued = Redeem(ca, MakeCsr("web-1"), t);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert.ExtendedKeyUsageNames(), (std::vector<std::string>{"serverAuth"}));
}

TEST(EnrollmentTokenTest, ExpiredUnknownAndMalformedTokensAreUnauthenticated) {
  TestCa ca;
  const CreatedToken t = Token(ca, "sensor-1", {}, Profile::kDevice, 60);
  ca.clock.Advance(std::chrono::seconds(61));
  EXPECT_THAT(Redeem(ca, MakeCsr("sensor-1"), t), ErrorIs(Code::kUnauthenticated));
  CreatedToken forged{SecretBytes("anc_" + std::string(64, '0')), {}};
  EXPECT_THAT(Redeem(ca, MakeCsr("sensor-1"), forged), ErrorIs(Code::kUnauthenticated));
  CreatedToken junk{SecretBytes("hunter2"), {}};
  EXPECT_THAT(Redeem(ca, MakeCsr("sensor-1"), junk), ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(Rows(ca), 0);
}

TEST(EnrollmentTokenTest, NoTokenForANamePolicyRefuses) {
  CaConfig config = CaConfig::Defaults();
  config.profiles[Profile::kServer].dns_suffixes = {"example.com"};
  TestCa ca(config);
  EXPECT_THAT(CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                          NameRequest{"www.evil.org", {}}, Profile::kServer, std::chrono::hours(1)),
              ErrorIs(Code::kPermissionDenied));
}

TEST(EnrollmentTokenTest, LifetimeIsAtMostAYear) {
  TestCa ca;
  for (const std::chrono::seconds ttl :
       {std::chrono::seconds(0), kMaxTokenTtl + std::chrono::seconds(1)}) {
    EXPECT_THAT(CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                            NameRequest{"sensor-1", {}}, Profile::kDevice, ttl),
                ErrorIs(Code::kInvalidArgument));
  }
  EXPECT_THAT(CreateToken(ca.authority->policy(), *ca.store, ca.rng, ca.clock,
                          NameRequest{"sensor-1", {}}, Profile::kDevice, kMaxTokenTtl),
              IsOk());
}

// Thirty-two redemptions of one token at once, each through its own SQLite connection to the
// same database file: exactly one certificate.
class TokenRaceTest : public anchor::testing::TempDirTest {};

TEST_F(TokenRaceTest, ParallelRedemptionsYieldExactlyOneCertificate) {
  TestCa ca;
  const std::string db = Path("race.db");
  auto shared = store::OpenSqliteStore(db).value();
  const CreatedToken t =
      CreateToken(ca.authority->policy(), *shared, ca.rng, ca.clock, NameRequest{"dev-1", {}},
                  Profile::kDevice, std::chrono::hours(1))
          .value();
  constexpr int kClients = 32;
  std::vector<crypto::Csr> csrs;
  for (int i = 0; i < kClients; ++i) {
    csrs.push_back(MakeCsr("dev-1"));
  }
  std::atomic<int> ok{0}, unauthenticated{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto opened = store::OpenSqliteStore(db);
      ASSERT_THAT(opened, IsOk());
      auto store = std::move(opened).value();
      anchor::testing::TestRng rng(1000 + i);
      Authority authority(ca.authority->config(), *ca.root, *ca.intermediate, *ca.inter_key, *store,
                          ca.clock, rng);
      const Authenticator authenticator(authority.config(), *store, ca.clock);
      auto grant = authenticator.Authenticate(
          TokenCredential{SecretBytes({t.token.data(), t.token.size()})});
      ASSERT_THAT(grant, IsOk());
      const auto r = authority.Issue(IssueRequest{std::move(csrs[i]), std::move(grant).value()});
      if (!r && r.error().code() != Code::kUnauthenticated) {
        ADD_FAILURE() << r.error().message();
      }
      (r ? ok : r.error().code() == Code::kUnauthenticated ? unauthenticated : other)++;
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(unauthenticated.load(), kClients - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(shared->CountCertificates().value(), 1);
}

}  // namespace
}  // namespace anchor::ca
