// SPDX-License-Identifier: Apache-2.0
// The CRL a server hands out: signed once per revocation (or half-life), shared through the store
// between servers, checked by anchor's verifier before it leaves, its number never going back.
#include "ca/crl_cache.h"

#include <gtest/gtest.h>

#include "core/text.h"
#include "testlib/forwarding_store.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

// Issued is a certificate of `ca`, recorded in its store.
crypto::Certificate Issued(TestCa& ca, const std::string& cn) {
  return ca.authority->Issue({MakeCsr(cn), OperatorRequest{Profile::kClient}}).value().cert;
}

int64_t NumberOf(const std::vector<uint8_t>& der) {
  return crypto::Crl::FromDer(der).value().Number();
}

size_t CrlEntries(TestCa& ca) {
  size_t n = 0;
  // Held: a range-for over value() of the temporary Result would outlive it.
  const std::vector<store::AuditEntry> log = ca.store->AuditLog().value();
  for (const store::AuditEntry& e : log) {
    n += e.action == "crl" ? 1 : 0;
  }
  return n;
}

TEST(CrlCacheTest, HandsOutOneCrlUntilARevocationThenOneThatListsIt) {
  TestCa ca;
  const crypto::Certificate dev = Issued(ca, "dev-1");
  CrlCache cache(*ca.authority);
  const auto first = cache.CurrentDer();
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(cache.CurrentDer().value(), *first);  // not signed again
  EXPECT_EQ(CrlEntries(ca), 1u);
  ASSERT_THAT(ca.authority->Revoke(dev.SerialHex(), 1), IsOk());
  const auto second = cache.CurrentDer();
  ASSERT_THAT(second, IsOk());
  const crypto::Crl crl = crypto::Crl::FromDer(*second).value();
  EXPECT_GT(crl.Number(), NumberOf(*first));
  ASSERT_EQ(crl.Entries().size(), 1u);
  EXPECT_EQ(HexEncode(crl.Entries()[0].serial), dev.SerialHex());
  EXPECT_TRUE(crl.VerifySignedBy(ca.intermediate->GetPublicKey()));
  // What it hands out is what the store holds for every other server.
  EXPECT_EQ(ca.store->NewestCrl(ca.intermediate->Sha256Fingerprint()).value()->der, *second);
}

TEST(CrlCacheTest, SignsAgainOnceHalfItsValidityHasPassed) {
  TestCa ca;  // crl_days 7: half-way at 3.5 days
  CrlCache cache(*ca.authority);
  const int64_t first = NumberOf(cache.CurrentDer().value());
  ca.clock.Advance(std::chrono::hours(83));
  EXPECT_EQ(NumberOf(cache.CurrentDer().value()), first);
  ca.clock.Advance(std::chrono::hours(2));
  EXPECT_EQ(NumberOf(cache.CurrentDer().value()), first + 1);
}

// Two servers on one store: after a revocation, the one asked first signs; the other hands out
// that CRL without signing one of its own.
TEST(CrlCacheTest, HandsOutTheCrlAnotherServerStoredWhenItServes) {
  TestCa ca;
  Authority replica(ca.authority->config(), *ca.root, *ca.intermediate, *ca.inter_key, *ca.store,
                    ca.clock, ca.rng);
  CrlCache here(*ca.authority);
  CrlCache there(replica);
  const auto before = here.CurrentDer().value();
  EXPECT_EQ(there.CurrentDer().value(), before);
  ASSERT_THAT(ca.authority->Revoke(Issued(ca, "dev-1").SerialHex(), 1), IsOk());
  const auto built = there.CurrentDer().value();
  EXPECT_NE(built, before);
  EXPECT_EQ(here.CurrentDer().value(), built);
  EXPECT_EQ(CrlEntries(ca), 2u);
}

// NewestCrl answers with a CRL of its own choosing: the cache's check is all that stands
// between it and the client.
class SwappedNewest final : public anchor::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::optional<store::StoredCrl>> NewestCrl(std::string_view issuer) override {
    if (swapped) {
      return std::optional<store::StoredCrl>(*swapped);
    }
    return real_.NewestCrl(issuer);
  }
  std::optional<store::StoredCrl> swapped;
};

// SwappedCa is a CA whose cache reads the stored CRLs through SwappedNewest; revocations go to
// the real store (ca.authority).
struct SwappedCa {
  TestCa ca;
  SwappedNewest store{*ca.store};
  Authority authority{
      ca.authority->config(), *ca.root, *ca.intermediate, *ca.inter_key, store, ca.clock, ca.rng};
  CrlCache cache{authority};
};

TEST(CrlCacheTest, RefusesAStoredCrlThatAnchorsVerifierRejects) {
  SwappedCa swapped;
  auto& [ca, store, authority, cache] = swapped;
  ASSERT_THAT(cache.CurrentDer(), IsOk());
  store::StoredCrl tampered =
      ca.store->NewestCrl(ca.intermediate->Sha256Fingerprint()).value().value();
  tampered.der.back() ^= 0x01;  // the signature's last byte
  tampered.revocation_cursor = 1;
  store.swapped = tampered;
  ASSERT_THAT(ca.authority->Revoke(Issued(ca, "dev-1").SerialHex(), 1), IsOk());
  const auto refused = cache.CurrentDer();
  ASSERT_THAT(refused, ErrorIs(Code::kInternal));
  EXPECT_NE(refused.error().message().find("refused before publication"), std::string::npos)
      << refused.error().message();
}

TEST(CrlCacheTest, NeverHandsOutALowerNumberThanItDid) {
  SwappedCa swapped;
  auto& [ca, store, authority, cache] = swapped;
  ASSERT_THAT(cache.CurrentDer(), IsOk());
  store::StoredCrl older =
      ca.store->NewestCrl(ca.intermediate->Sha256Fingerprint()).value().value();
  ASSERT_THAT(ca.authority->Revoke(Issued(ca, "dev-1").SerialHex(), 1), IsOk());
  ASSERT_THAT(cache.CurrentDer(), IsOk());  // number 2
  // The store then answers with number 1 as if it covered what came since (a database restored
  // from an older copy): the cache refuses to go back.
  older.revocation_cursor = 2;
  store.swapped = older;
  ASSERT_THAT(ca.authority->Revoke(Issued(ca, "dev-2").SerialHex(), 1), IsOk());
  EXPECT_THAT(cache.CurrentDer(), ErrorIs(Code::kFailedPrecondition));
}

// A CRL that anchor's verifier refuses (here: signed with a key that is not the
// intermediate's) is neither stored nor returned, and uses no number.
TEST(AuthorityCrlTest, ACrlTheVerifierRefusesIsNeverStored) {
  TestCa ca;
  const Generation wrong{1, *ca.intermediate,
                         crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value(),
                         ca.intermediate->Sha256Fingerprint()};
  const auto refused = ca.authority->BuildCrl(wrong);
  ASSERT_THAT(refused, ErrorIs(Code::kInternal));
  EXPECT_NE(refused.error().message().find("signature does not verify"), std::string::npos)
      << refused.error().message();
  EXPECT_FALSE(ca.store->NewestCrl(wrong.fingerprint).value().has_value());
  EXPECT_EQ(CrlEntries(ca), 0u);
  EXPECT_EQ(ca.authority->BuildCrl().value().Number(), 1);
}

}  // namespace
}  // namespace anchor::ca
