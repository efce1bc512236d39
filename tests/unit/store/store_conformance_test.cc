// SPDX-License-Identifier: Apache-2.0
// One conformance suite for every Store backend (STYLE.md 8.6): SQLite in memory, SQLite in a
// file (its reading connections), and PostgreSQL on the throwaway cluster of ctest's `postgres`
// fixture (skipped when $ANCHOR_TEST_POSTGRES_DSN is unset). Where a backend can be opened twice
// on one database (a SQLite file, PostgreSQL), the concurrency tests run on two stores at once:
// two `anchor serve` replicas, as far as the store can tell.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "store/audit_chain.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "testlib/matchers.h"
#include "testlib/postgres_schema.h"
#include "testlib/store_records.h"
#include "testlib/temp_dir.h"

namespace anchor::store {
namespace {

using testing::ErrorIs;
using testing::IsOk;

CertificateRecord Record(const std::string& serial, int64_t not_after = 2000,
                         const std::string& issuer_fingerprint = "a1") {
  return testing::StoreRecord(serial, not_after, issuer_fingerprint);
}

TokenRecord Token(const std::string& hash, int64_t expires_at = 1000) {
  return TokenRecord{hash, "dev", {"dns:dev.example"}, "device", 0, expires_at, 0, ""};
}

// Crls stands in for the authority that signs CRLs: it "signs" a draft as the bytes of
// "crl N (cursor C): serial,serial", valid from `this_update` to `next_update`, and keeps every
// draft it was handed.
class Crls {
 public:
  explicit Crls(int64_t this_update = 100, int64_t next_update = 200)
      : this_update_(this_update), next_update_(next_update) {}

  CrlSigner Signer() {
    return [this](const CrlDraft& draft) -> Result<SignedCrl> {
      std::lock_guard lock(mu_);
      drafts_.push_back(draft);
      return SignedCrl{Der(draft), this_update_, next_update_};
    };
  }
  static std::vector<uint8_t> Der(const CrlDraft& draft) {
    std::vector<std::string> serials;
    for (const RevokedEntry& e : draft.revoked) {
      serials.push_back(e.serial);
    }
    std::sort(serials.begin(), serials.end());
    std::string text = "crl " + std::to_string(draft.number) + " (cursor " +
                       std::to_string(draft.revocation_cursor) + "):";
    for (const std::string& s : serials) {
      text += " " + s;
    }
    return std::vector<uint8_t>(text.begin(), text.end());
  }
  std::vector<CrlDraft> drafts() {
    std::lock_guard lock(mu_);
    return drafts_;
  }

 private:
  int64_t this_update_;
  int64_t next_update_;
  std::mutex mu_;
  std::vector<CrlDraft> drafts_;
};

// Publish asks `store` for a CRL of `issuer` at `now`, reusing one that serves `reuse_after`.
Result<StoredCrl> Publish(Store& store, Crls& crls, const std::string& issuer = "a1",
                          int64_t now = 120, std::optional<int64_t> reuse_after = std::nullopt) {
  return store.PublishCrl(CrlRequest{issuer, now, reuse_after}, crls.Signer());
}

std::string Text(const std::vector<uint8_t>& der) { return std::string(der.begin(), der.end()); }

// A backend is a class with Open() (the store under test, or nullptr to skip, with why()),
// and Replica() (a second store on the same database, or nullptr where there is none).
// kCrlLeaseAcrossStores: two stores on one database build CRLs one at a time (PostgreSQL's
// lease); SQLite promises it within a store (one process), and across processes only that no
// number is used twice.
class SqliteMemory {
 public:
  static constexpr bool kCrlLeaseAcrossStores = false;
  std::unique_ptr<Store> Open() { return OpenSqliteStore(":memory:").value(); }
  std::unique_ptr<Store> Replica() { return nullptr; }
  std::string why() const { return ""; }
};

class SqliteFile {
 public:
  static constexpr bool kCrlLeaseAcrossStores = false;
  SqliteFile() {
    path_ = std::filesystem::temp_directory_path() /
            ("anchor-conformance-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
             ".db");
  }
  ~SqliteFile() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix);
    }
  }
  std::unique_ptr<Store> Open() { return OpenSqliteStore(path_.string()).value(); }
  std::unique_ptr<Store> Replica() { return Open(); }
  std::string why() const { return ""; }

 private:
  static inline std::atomic<int> counter_{0};
  std::filesystem::path path_;
};

class Postgres {
 public:
  static constexpr bool kCrlLeaseAcrossStores = true;
  std::unique_ptr<Store> Open() {
    if (!schema_.available()) {
      return nullptr;
    }
    auto store = OpenPostgresStore(schema_.Conninfo(), {.connections = 4});
    if (!store) {
      error_ = store.error().message();
      return nullptr;
    }
    return std::move(store).value();
  }
  std::unique_ptr<Store> Replica() { return Open(); }
  std::string why() const {
    if (testing::PostgresSchema::Dsn().empty()) {
      return "ANCHOR_TEST_POSTGRES_DSN is not set (ctest's postgres fixture sets it)";
    }
    return !schema_.error().empty() ? schema_.error() : error_;
  }

 private:
  testing::PostgresSchema schema_;
  std::string error_;
};

template <typename Backend>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = backend_.Open();
    if (!store_) {
      const std::string why = backend_.why();
      // A DSN that was given but does not work is a failure, not a reason to skip.
      ASSERT_TRUE(testing::PostgresSchema::Dsn().empty()) << why;
      GTEST_SKIP() << why;
    }
  }
  // replica is a second store on the same database where the backend has one, else the first.
  Store& Replica() {
    if (!replica_) {
      replica_ = backend_.Replica();
    }
    return replica_ ? *replica_ : *store_;
  }

  Backend backend_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> replica_;
};

using Backends = ::testing::Types<SqliteMemory, SqliteFile, Postgres>;
TYPED_TEST_SUITE(StoreConformance, Backends);

TYPED_TEST(StoreConformance, InsertsAndFinds) {
  Store& store = *this->store_;
  CertificateRecord r = Record("0a");
  r.token_hash = "";
  // Every byte value survives the round trip in the DER; the SANs keep their order.
  r.der.clear();
  for (int b = 0; b < 256; ++b) {
    r.der.push_back(static_cast<uint8_t>(b));
  }
  ASSERT_THAT(store.InsertCertificates({&r, 1}, 100), IsOk());
  const auto got = store.FindBySerial("0A");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->sans, r.sans);
  EXPECT_EQ(got->der, r.der);
  EXPECT_EQ(got->created_at, 100);
  EXPECT_EQ(got->issuer_fingerprint, "a1");
  EXPECT_FALSE(got->revoked);
  EXPECT_EQ(got->token_hash, "");
  EXPECT_EQ(got->renews, "");
  EXPECT_THAT(store.FindBySerial("0b"), ErrorIs(Code::kNotFound));
}

TYPED_TEST(StoreConformance, DuplicateSerialInABatchWritesNothing) {
  Store& store = *this->store_;
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02"), Record("01")};
  EXPECT_THAT(store.InsertCertificates(batch, 1), ErrorIs(Code::kAlreadyExists));
  EXPECT_EQ(store.CountCertificates().value(), 0);
  EXPECT_TRUE(store.AuditLog().value().empty());
}

// A group commit writes several requests in one transaction: the one that fails (a serial that
// exists, a token used already) leaves no row, no audit entry and no consumed token; the others
// commit, and the audit chain stays whole.
TYPED_TEST(StoreConformance, InsertEachFailsARecordAloneAndCommitsTheOthers) {
  Store& store = *this->store_;
  const CertificateRecord existing = Record("01");
  ASSERT_THAT(store.InsertCertificates({&existing, 1}, 1), IsOk());
  TokenRecord token{"hash-1", "dev", {}, "device", 0, 100, 0, ""};
  ASSERT_THAT(store.InsertToken(token, 1), IsOk());
  std::vector<CertificateRecord> group = {Record("02"), Record("01"), Record("03"), Record("04"),
                                          Record("05")};
  group[2].token_hash = "hash-1";
  group[3].token_hash = "hash-1";  // the same token again: refused inside the group
  group[4].token_hash = "no-such-token";
  const auto each = store.InsertEach(group, 2);
  ASSERT_THAT(each, IsOk());
  ASSERT_EQ(each->size(), 5u);
  EXPECT_THAT((*each)[0], IsOk());
  EXPECT_THAT((*each)[1], ErrorIs(Code::kAlreadyExists));
  EXPECT_THAT((*each)[2], IsOk());
  EXPECT_THAT((*each)[3], ErrorIs(Code::kUnauthenticated));
  EXPECT_THAT((*each)[4], ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(store.CountCertificates().value(), 3);  // 01, 02, 03
  EXPECT_THAT(store.FindBySerial("04"), ErrorIs(Code::kNotFound));
  EXPECT_EQ(store.FindToken("hash-1").value().used_by, "03");
  const auto log = store.AuditLog().value();
  EXPECT_EQ(log.size(), 4u);  // issue 01, token, issue 02, issue 03
  EXPECT_TRUE(VerifyAuditChain(log).empty());
}

TYPED_TEST(StoreConformance, LatestRevocationIsTheNewestSequenceNumber) {
  Store& store = *this->store_;
  EXPECT_EQ(store.LatestRevocation().value(), 0);
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02")};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  ASSERT_THAT(store.Revoke("01", 10, 1, ""), IsOk());
  const auto second = store.Revoke("02", 11, 1, "");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(store.LatestRevocation().value(), second->seq);
}

TYPED_TEST(StoreConformance, RevokesOnceAndFeedsTheSequence) {
  Store& store = *this->store_;
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02"), Record("03", 50)};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  const auto first = store.Revoke("01", 10, 1, "");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(store.Revoke("01", 11, 1, ""), ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(store.Revoke("ff", 11, 1, ""), ErrorIs(Code::kNotFound));
  ASSERT_THAT(store.Revoke("03", 12, 4, ""), IsOk());
  const auto since = store.RevocationsSince(first->seq, 10).value();
  ASSERT_EQ(since.size(), 1u);
  EXPECT_EQ(since[0].serial, "03");
  EXPECT_EQ(since[0].reason, 4);
  EXPECT_EQ(since[0].revoked_at, 12);
  // "03" expired at 50: it leaves the CRL once expired.
  EXPECT_EQ(store.RevokedUnexpired("a1", 100).value().size(), 1u);
  EXPECT_EQ(store.RevokedUnexpired("a1", 10).value().size(), 2u);
  ListFilter f;
  f.status = StatusFilter::kValid;
  f.now = 100;
  EXPECT_EQ(store.List(f).value().size(), 1u);
  const CertificateRecord revoked = store.FindBySerial("01").value();
  EXPECT_TRUE(revoked.revoked);
  EXPECT_EQ(revoked.revoked_at, 10);
  EXPECT_EQ(revoked.revocation_reason, 1);
}

TYPED_TEST(StoreConformance, CrlNumbersIncreaseAndEverythingIsAudited) {
  Store& store = *this->store_;
  Crls crls;
  EXPECT_EQ(Publish(store, crls).value().number, 1);
  EXPECT_EQ(Publish(store, crls).value().number, 2);
  const CertificateRecord r = Record("01");
  ASSERT_THAT(store.InsertCertificates({&r, 1}, 3), IsOk());
  ASSERT_THAT(store.Revoke("01", 4, 0, ""), IsOk());
  const auto log = store.AuditLog().value();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].prev_hash, kAuditGenesisHash);
  EXPECT_EQ(log[0].action, "crl");
  EXPECT_EQ(log[0].detail, "number=1 issuer=a1 revoked=0 cursor=0");
  EXPECT_EQ(log[2].action, "issue");
  EXPECT_EQ(log[3].action, "revoke");
  EXPECT_TRUE(VerifyAuditChain(log).empty());
}

// A CRL is stored with the number taken for it, the revocation cursor it covers and its DER; the
// newest of its issuer is what every server hands out, and a new one supersedes it.
TYPED_TEST(StoreConformance, APublishedCrlIsStoredWithItsNumberAndCursorAndHandedOutAsNewest) {
  Store& store = *this->store_;
  Crls crls(100, 200);
  EXPECT_FALSE(store.NewestCrl("a1").value().has_value());
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02", 50), Record("03")};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  ASSERT_THAT(store.Revoke("01", 10, 1, ""), IsOk());
  ASSERT_THAT(store.Revoke("02", 11, 1, ""), IsOk());  // expired at 50: not listed at 120
  const auto first = Publish(store, crls, "A1", 120);  // hex in either case
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->issuer_fingerprint, "a1");
  EXPECT_EQ(first->revocation_cursor, 2);
  EXPECT_EQ(first->this_update, 100);
  EXPECT_EQ(first->next_update, 200);
  EXPECT_EQ(first->created_at, 120);
  EXPECT_EQ(Text(first->der), "crl 1 (cursor 2): 01");
  const auto newest = store.NewestCrl("a1").value();
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(newest->number, 1);
  EXPECT_EQ(newest->der, first->der);
  EXPECT_EQ(newest->built_by, first->built_by);
  EXPECT_EQ(newest->revocation_cursor, 2);
  EXPECT_FALSE(store.NewestCrl("b2").value().has_value());
  // Another revocation, another CRL: it is the newest now, and lists both.
  ASSERT_THAT(store.Revoke("03", 12, 4, ""), IsOk());
  EXPECT_EQ(Publish(store, crls, "a1", 130).value().number, 2);
  EXPECT_EQ(Text(this->Replica().NewestCrl("a1").value()->der), "crl 2 (cursor 3): 01 03");
}

// Under the lease a stored CRL that serves (covers the revocations asked for, not past half its
// validity) is handed back instead of signing another: servers that waited for the lease share
// the builder's CRL.
TYPED_TEST(StoreConformance, AStoredCrlThatServesIsReusedAndOneThatDoesNotIsReplaced) {
  Store& store = *this->store_;
  Crls crls(100, 200);  // half of its validity has passed at 150
  ASSERT_EQ(Publish(store, crls, "a1", 100).value().number, 1);
  const auto reused = Publish(store, crls, "a1", 149, /*reuse_after=*/0);
  ASSERT_THAT(reused, IsOk());
  EXPECT_EQ(reused->number, 1);
  EXPECT_EQ(crls.drafts().size(), 1u);                              // not signed again
  EXPECT_EQ(Publish(store, crls, "a1", 150, 0).value().number, 2);  // half-way: a new one
  const CertificateRecord r = Record("01");
  ASSERT_THAT(store.InsertCertificates({&r, 1}, 1), IsOk());
  const RevocationEvent revoked = store.Revoke("01", 10, 1, "").value();
  const auto fresh = Publish(store, crls, "a1", 120, revoked.seq);  // number 2 does not cover it
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->number, 3);
  EXPECT_EQ(fresh->revocation_cursor, revoked.seq);
  EXPECT_EQ(Publish(store, crls, "a1", 120, revoked.seq).value().number, 3);
  EXPECT_EQ(Publish(store, crls, "b2", 120, 0).value().number, 4);  // another issuer's: its own
}

// A signer that fails (a CRL anchor's verifier refused) leaves nothing: no CRL, no audit entry,
// and its number is the next CRL's.
TYPED_TEST(StoreConformance, ACrlThatFailsToSignUsesNoNumberAndLeavesNothing) {
  Store& store = *this->store_;
  const auto refused = store.PublishCrl(
      CrlRequest{"a1", 120, std::nullopt}, [](const CrlDraft&) -> Result<SignedCrl> {
        return Error(Code::kInternal, "refused before publication");
      });
  EXPECT_THAT(refused, ErrorIs(Code::kInternal));
  EXPECT_FALSE(store.NewestCrl("a1").value().has_value());
  EXPECT_TRUE(store.AuditLog().value().empty());
  Crls crls;
  EXPECT_EQ(Publish(store, crls).value().number, 1);
}

// One sequence of numbers across issuers; each issuer's newest keeps its DER.
TYPED_TEST(StoreConformance, EachIssuerHasItsNewestCrlOnOneSequenceOfNumbers) {
  Store& store = *this->store_;
  Crls crls;
  const std::vector<CertificateRecord> batch = {Record("01", 2000, "a1"), Record("02", 2000, "b2")};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  ASSERT_THAT(store.Revoke("01", 10, 1, ""), IsOk());
  ASSERT_THAT(store.Revoke("02", 10, 1, ""), IsOk());
  EXPECT_EQ(Publish(store, crls, "a1").value().number, 1);
  EXPECT_EQ(Publish(store, crls, "b2").value().number, 2);
  EXPECT_EQ(Publish(store, crls, "a1").value().number, 3);
  EXPECT_EQ(Text(store.NewestCrl("a1").value()->der), "crl 3 (cursor 2): 01");
  EXPECT_EQ(Text(store.NewestCrl("b2").value()->der), "crl 2 (cursor 2): 02");
}

// Many servers at once on one store (and, where the backend shares its CRL lease across stores,
// on two: two replicas): one signs at a time, every number is used once, in the order the CRLs
// are stored, and the audit log stays one chain.
TYPED_TEST(StoreConformance, ConcurrentPublishersSignOneAtATimeAndNeverRepeatANumber) {
  Store& first = *this->store_;
  Store& second = TypeParam::kCrlLeaseAcrossStores ? this->Replica() : first;
  constexpr int kThreads = 6;
  constexpr int kEach = 5;
  std::atomic<int> signing{0};
  std::atomic<int> overlaps{0};  // a signer that found another one signing
  std::mutex mu;
  std::vector<int64_t> numbers;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? first : second;
      for (int i = 0; i < kEach; ++i) {
        auto published = store.PublishCrl(
            CrlRequest{"a1", 120, std::nullopt}, [&](const CrlDraft& d) -> Result<SignedCrl> {
              if (++signing > 1) {
                ++overlaps;
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(2));
              --signing;
              return SignedCrl{Crls::Der(d), 100, 200};
            });
        std::lock_guard lock(mu);
        numbers.push_back(published ? published->number : -1);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(overlaps.load(), 0);
  std::sort(numbers.begin(), numbers.end());
  ASSERT_EQ(numbers.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(numbers[i], static_cast<int64_t>(i + 1));  // no failure, no repeat, no gap
  }
  EXPECT_EQ(first.NewestCrl("a1").value()->number, kThreads * kEach);
  const auto log = second.AuditLog().value();
  EXPECT_EQ(log.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_TRUE(VerifyAuditChain(log).empty());
}

TYPED_TEST(StoreConformance, EachIssuerListsOnlyItsOwnRevocations) {
  Store& store = *this->store_;
  // Two intermediate generations, one revoked certificate each: each CRL names its own.
  const std::vector<CertificateRecord> batch = {Record("01", 2000, "a1"), Record("02", 2000, "b2"),
                                                Record("03", 2000, "b2")};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  ASSERT_THAT(store.Revoke("01", 10, 1, ""), IsOk());
  ASSERT_THAT(store.Revoke("02", 10, 1, ""), IsOk());
  const auto first = store.RevokedUnexpired("a1", 100).value();
  const auto second = store.RevokedUnexpired("B2", 100).value();  // hex in either case
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].serial, "01");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].serial, "02");
  EXPECT_TRUE(store.RevokedUnexpired("c3", 100).value().empty());
  EXPECT_EQ(store.FindBySerial("03").value().issuer_fingerprint, "b2");
}

TYPED_TEST(StoreConformance, ATokenPaysForOneCertificateBeforeItExpires) {
  Store& store = *this->store_;
  ASSERT_THAT(store.InsertToken(Token("t-1", 100), 1), IsOk());
  EXPECT_THAT(store.InsertToken(Token("t-1", 100), 1), ErrorIs(Code::kAlreadyExists));
  const TokenRecord fresh = store.FindToken("t-1").value();
  EXPECT_EQ(fresh.common_name, "dev");
  EXPECT_EQ(fresh.sans, std::vector<std::string>{"dns:dev.example"});
  EXPECT_EQ(fresh.used_at, 0);
  EXPECT_EQ(fresh.used_by, "");
  EXPECT_THAT(store.FindToken("t-2"), ErrorIs(Code::kNotFound));

  CertificateRecord a = Record("0a");
  a.token_hash = "t-1";
  ASSERT_THAT(store.InsertCertificates({&a, 1}, 5), IsOk());
  CertificateRecord b = Record("0b");
  b.token_hash = "t-1";
  EXPECT_THAT(store.InsertCertificates({&b, 1}, 6), ErrorIs(Code::kUnauthenticated));
  EXPECT_THAT(store.FindBySerial("0b"), ErrorIs(Code::kNotFound));
  const TokenRecord used = store.FindToken("t-1").value();
  EXPECT_EQ(used.used_at, 5);
  EXPECT_EQ(used.used_by, "0a");

  // Expired at 100: refused at 100, and nothing is written.
  ASSERT_THAT(store.InsertToken(Token("t-3", 100), 1), IsOk());
  CertificateRecord c = Record("0c");
  c.token_hash = "t-3";
  EXPECT_THAT(store.InsertCertificates({&c, 1}, 100), ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(store.FindToken("t-3").value().used_at, 0);
  EXPECT_EQ(store.CountCertificates().value(), 1);
}

TYPED_TEST(StoreConformance, ARenewalOfARevokedCertificateOrOfOneWhoseRenewalIsRevokedIsRefused) {
  Store& store = *this->store_;
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02")};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  CertificateRecord renewal = Record("03");
  renewal.renews = "01";
  ASSERT_THAT(store.InsertCertificates({&renewal, 1}, 2), IsOk());
  EXPECT_EQ(store.FindBySerial("03").value().renews, "01");

  ASSERT_THAT(store.Revoke("02", 3, 1, ""), IsOk());
  CertificateRecord of_revoked = Record("04");
  of_revoked.renews = "02";
  EXPECT_THAT(store.InsertCertificates({&of_revoked, 1}, 4), ErrorIs(Code::kUnauthenticated));

  // 03 renewed 01 and is revoked: 01 may not fork a new line.
  ASSERT_THAT(store.Revoke("03", 5, 1, ""), IsOk());
  CertificateRecord fork = Record("05");
  fork.renews = "01";
  EXPECT_THAT(store.InsertCertificates({&fork, 1}, 6), ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(store.CountCertificates().value(), 3);
}

TYPED_TEST(StoreConformance, ListFiltersAndCountsByStatus) {
  Store& store = *this->store_;
  std::vector<CertificateRecord> batch = {Record("01", 50), Record("02", 150), Record("03", 300),
                                          Record("04", 400)};
  batch[1].profile = "device";
  batch[2].common_name = "pump";
  for (size_t i = 0; i < batch.size(); ++i) {
    ASSERT_THAT(store.InsertCertificates({&batch[i], 1}, static_cast<int64_t>(10 + i)), IsOk());
  }
  ASSERT_THAT(store.Revoke("04", 20, 1, ""), IsOk());
  const int64_t now = 100;
  auto serials = [&](ListFilter f) {
    f.now = now;
    std::vector<std::string> out;
    const std::vector<CertificateRecord> listed = store.List(f).value();
    for (const CertificateRecord& r : listed) {
      out.push_back(r.serial);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(serials({}), (V{"04", "03", "02", "01"}));  // newest first
  EXPECT_EQ(serials({.status = StatusFilter::kValid}), (V{"03", "02"}));
  EXPECT_EQ(serials({.status = StatusFilter::kRevoked}), (V{"04"}));
  EXPECT_EQ(serials({.status = StatusFilter::kExpired}), (V{"01"}));
  EXPECT_EQ(serials({.expiring_before = 200}), (V{"02"}));
  EXPECT_EQ(serials({.profile = "device"}), (V{"02"}));
  EXPECT_EQ(serials({.common_name = "pump"}), (V{"03"}));
  EXPECT_EQ(serials({.limit = 2}), (V{"04", "03"}));
  const StatusCounts counts = store.CountByStatus(now).value();
  EXPECT_EQ(counts.valid, 2);
  EXPECT_EQ(counts.revoked, 1);
  EXPECT_EQ(counts.expired, 1);
  EXPECT_EQ(store.CountCertificates().value(), 4);
}

TYPED_TEST(StoreConformance, AttributeIssuerFillsOnlyRowsWithoutOne) {
  Store& store = *this->store_;
  const std::vector<CertificateRecord> batch = {Record("01", 2000, ""), Record("02", 2000, "b2")};
  ASSERT_THAT(store.InsertCertificates(batch, 1), IsOk());
  EXPECT_EQ(store.FindBySerial("01").value().issuer_fingerprint, "");
  EXPECT_EQ(store.AttributeIssuer("A1").value(), 1);
  EXPECT_EQ(store.AttributeIssuer("ff").value(), 0);
  EXPECT_EQ(store.FindBySerial("01").value().issuer_fingerprint, "a1");
  EXPECT_EQ(store.FindBySerial("02").value().issuer_fingerprint, "b2");
}

// Writers on two stores of one database (two replicas) at once: every write lands, the audit log
// stays one unbroken chain, and the revocation sequence has no gap and no repeat.
TYPED_TEST(StoreConformance, ConcurrentWritersKeepOneChainAndOneSequence) {
  Store& first = *this->store_;
  Store& second = this->Replica();
  constexpr int kThreads = 6;
  constexpr int kEach = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? first : second;
      for (int i = 0; i < kEach; ++i) {
        const std::string serial = std::to_string(t) + "-" + std::to_string(i);
        const CertificateRecord r = Record(serial);
        // CRLs on the first store: only where the backend shares its lease across stores are
        // two of them one builder at a time (ConcurrentPublishersSignOneAtATime...).
        Crls crls;
        if (!store.InsertCertificates({&r, 1}, 1) || !store.Revoke(serial, 2, 1, "") ||
            !Publish(TypeParam::kCrlLeaseAcrossStores ? store : first, crls)) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  const int total = kThreads * kEach;
  EXPECT_EQ(first.CountCertificates().value(), total);
  const auto log = second.AuditLog().value();
  EXPECT_EQ(log.size(), static_cast<size_t>(3 * total));
  EXPECT_TRUE(VerifyAuditChain(log).empty());
  const auto events = first.RevocationsSince(0, 10 * total).value();
  ASSERT_EQ(events.size(), static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) {
    EXPECT_EQ(events[static_cast<size_t>(i)].seq, i + 1);
  }
  EXPECT_EQ(second.LatestRevocation().value(), total);
  Crls crls;
  EXPECT_EQ(Publish(first, crls).value().number, total + 1);
}

// One token redeemed by many requests at once, over two replicas: exactly one certificate.
TYPED_TEST(StoreConformance, ConcurrentRedemptionsOfOneTokenIssueOnce) {
  Store& first = *this->store_;
  Store& second = this->Replica();
  ASSERT_THAT(first.InsertToken(Token("shared", 1000), 1), IsOk());
  constexpr int kRequests = 24;
  std::atomic<int> issued{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      CertificateRecord r = Record("r" + std::to_string(i));
      r.token_hash = "shared";
      Store& store = i % 2 == 0 ? first : second;
      const Status st = store.InsertCertificates({&r, 1}, 2);
      if (st) {
        ++issued;
      } else if (st.error().code() == Code::kUnauthenticated) {
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(issued.load(), 1);
  EXPECT_EQ(refused.load(), kRequests - 1);
  EXPECT_EQ(second.CountCertificates().value(), 1);
  EXPECT_NE(first.FindToken("shared").value().used_by, "");
}

// Export from one store, Import into an empty one of each backend (anchor store migrate): every
// record as it was, and the chain, the sequence and the CRL numbers go on from there.
template <typename Source, typename Target>
void CopiesEverything() {
  Source source_backend;
  Target target_backend;
  std::unique_ptr<Store> source = source_backend.Open();
  std::unique_ptr<Store> target = target_backend.Open();
  if (!source || !target) {
    GTEST_SKIP() << source_backend.why() << target_backend.why();
  }
  ASSERT_THAT(source->InsertToken(Token("t-used", 1000), 1), IsOk());
  ASSERT_THAT(source->InsertToken(Token("t-free", 1000), 1), IsOk());
  std::vector<CertificateRecord> batch = {Record("01"), Record("02", 3000, "b2"), Record("03")};
  batch[0].token_hash = "t-used";
  batch[2].renews = "01";
  ASSERT_THAT(source->InsertCertificates({&batch[0], 1}, 2), IsOk());
  ASSERT_THAT(source->InsertCertificates({&batch[1], 1}, 2), IsOk());
  ASSERT_THAT(source->InsertCertificates({&batch[2], 1}, 2), IsOk());  // same second as 01
  ASSERT_THAT(source->Revoke("02", 5, 4, "superseded"), IsOk());
  Crls crls;
  ASSERT_THAT(Publish(*source, crls), IsOk());
  ASSERT_THAT(Publish(*source, crls), IsOk());

  StoreContents copied;
  ASSERT_THAT(source->Export([&](const StoreContents& c) {
    copied = c;
    return target->Import(c);
  }),
              IsOk());
  EXPECT_EQ(copied.certificates.size(), 3u);
  EXPECT_EQ(copied.tokens.size(), 2u);
  EXPECT_EQ(copied.revocations.size(), 1u);
  EXPECT_EQ(copied.crl_number, 2);
  StoreContents again;
  ASSERT_THAT(target->Export([&](const StoreContents& c) {
    again = c;
    return OkStatus();
  }),
              IsOk());
  ASSERT_EQ(again.certificates.size(), copied.certificates.size());
  for (size_t i = 0; i < copied.certificates.size(); ++i) {
    const CertificateRecord& a = copied.certificates[i];
    const CertificateRecord& b = again.certificates[i];
    EXPECT_EQ(
        std::tie(a.serial, a.issuer, a.issuer_fingerprint, a.subject, a.common_name, a.sans,
                 a.profile, a.not_before, a.not_after, a.revoked, a.revoked_at, a.revocation_reason,
                 a.der, a.fingerprint, a.token_hash, a.created_at, a.renews),
        std::tie(b.serial, b.issuer, b.issuer_fingerprint, b.subject, b.common_name, b.sans,
                 b.profile, b.not_before, b.not_after, b.revoked, b.revoked_at, b.revocation_reason,
                 b.der, b.fingerprint, b.token_hash, b.created_at, b.renews))
        << a.serial;
  }
  ASSERT_EQ(again.audit.size(), copied.audit.size());
  EXPECT_EQ(again.audit.back().hash, copied.audit.back().hash);
  EXPECT_EQ(target->FindToken("t-used").value().used_by, "01");
  EXPECT_EQ(target->FindToken("t-free").value().used_at, 0);
  // Everything goes on where the source stopped, in one chain.
  EXPECT_EQ(Publish(*target, crls).value().number, 3);
  const CertificateRecord next = Record("04");
  ASSERT_THAT(target->InsertCertificates({&next, 1}, 9), IsOk());
  EXPECT_EQ(target->Revoke("04", 10, 1, "").value().seq, 2);
  EXPECT_TRUE(VerifyAuditChain(target->AuditLog().value()).empty());
  // A second import into a store that is no longer empty is refused, and changes nothing.
  const size_t entries = target->AuditLog().value().size();
  EXPECT_THAT(target->Import(copied), ErrorIs(Code::kAlreadyExists));
  EXPECT_EQ(target->AuditLog().value().size(), entries);
}

TEST(StoreMigration, SqliteToPostgresCopiesEverything) { CopiesEverything<SqliteFile, Postgres>(); }
TEST(StoreMigration, PostgresToSqliteCopiesEverything) { CopiesEverything<Postgres, SqliteFile>(); }
TEST(StoreMigration, SqliteToSqliteCopiesEverything) {
  CopiesEverything<SqliteFile, SqliteMemory>();
}

// A writer that holds the writers' lock and does nothing (a replica frozen mid-transaction):
// the others answer kUnavailable (503) after lock_timeout, not never; and the server ends the
// idle transaction, freeing the lock.
TEST(PostgresStoreTest, AFrozenWriterMakesTheOthersUnavailableNotStuck) {
  testing::PostgresSchema schema;
  if (!schema.available()) {
    ASSERT_TRUE(testing::PostgresSchema::Dsn().empty()) << schema.error();
    GTEST_SKIP() << "ANCHOR_TEST_POSTGRES_DSN is not set";
  }
  PostgresOptions options;
  options.connections = 2;
  options.lock_timeout = std::chrono::milliseconds(300);
  options.idle_in_transaction = std::chrono::milliseconds(1500);
  auto store = OpenPostgresStore(schema.Conninfo(), options);
  ASSERT_THAT(store, IsOk());
  auto frozen = OpenPostgresStore(schema.Conninfo(), options);
  ASSERT_THAT(frozen, IsOk());
  // The frozen replica: the first steps of a write, then nothing.
  std::atomic<bool> locked{false};
  std::thread holder([&] {
    (void)(*frozen)->Export([&](const StoreContents&) {
      locked = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      return OkStatus();
    });
  });
  while (!locked) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const CertificateRecord r = Record("01");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT((*store)->InsertCertificates({&r, 1}, 1), ErrorIs(Code::kUnavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  holder.join();
  // The server ended the idle transaction after 1.5 s: the lock is free again.
  EXPECT_THAT((*store)->InsertCertificates({&r, 1}, 1), IsOk());
  EXPECT_EQ((*store)->CountCertificates().value(), 1);
}

// LeaseStores are two stores on one fresh schema with a short CRL lease, or none (skip).
struct LeaseStores {
  explicit LeaseStores(std::chrono::milliseconds lease) {
    if (!schema.available()) {
      return;
    }
    PostgresOptions options;
    options.connections = 2;
    options.crl_lease = lease;
    auto a = OpenPostgresStore(schema.Conninfo(), options);
    auto b = OpenPostgresStore(schema.Conninfo(), options);
    if (a && b) {
      first = std::move(a).value();
      second = std::move(b).value();
    }
  }
  testing::PostgresSchema schema;
  std::unique_ptr<Store> first;
  std::unique_ptr<Store> second;
};

#define SKIP_WITHOUT_POSTGRES(stores)                                               \
  if (!(stores).first) {                                                            \
    ASSERT_TRUE(testing::PostgresSchema::Dsn().empty()) << (stores).schema.error(); \
    GTEST_SKIP() << "ANCHOR_TEST_POSTGRES_DSN is not set";                          \
  }

// HoldWriters holds the writers' lock of `store` (an export that does not end) for `how_long`,
// from another thread; the returned thread is joined by the caller.
std::thread HoldWriters(Store& store, std::chrono::milliseconds how_long, std::atomic<bool>& held) {
  std::thread t([&store, how_long, &held] {
    (void)store.Export([&](const StoreContents&) {
      held = true;
      std::this_thread::sleep_for(how_long);
      return OkStatus();
    });
  });
  while (!held) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return t;
}

// A builder that stalls holding the CRL lease (a replica SIGSTOPped while it signs), with nobody
// asking for a CRL: the server ends its session once it has sat idle for the lease, and nothing
// it did stays: no CRL, no audit entry, and the next CRL takes its number.
TEST(PostgresStoreTest, AStalledCrlBuilderIsEndedByTheServerAndLeavesNothing) {
  LeaseStores stores(std::chrono::milliseconds(500));
  SKIP_WITHOUT_POSTGRES(stores);
  const auto stalled =
      stores.first->PublishCrl(CrlRequest{"a1", 120, std::nullopt}, [](const CrlDraft& d) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        return Result<SignedCrl>(SignedCrl{Crls::Der(d), 100, 200});
      });
  EXPECT_THAT(stalled, ErrorIs(Code::kUnavailable));
  EXPECT_FALSE(stores.second->NewestCrl("a1").value().has_value());
  EXPECT_TRUE(stores.second->AuditLog().value().empty());
  Crls crls;
  EXPECT_EQ(Publish(*stores.first, crls).value().number, 1);  // its connection was made again
}

// A builder past its lease that is not idle (waiting here for the writers' lock) is ended by the
// next store that wants the lease, which builds in its place with the number the first had
// taken; the first one's CRL is never stored. The takeover comes within the lease and a poll.
TEST(PostgresStoreTest, AnotherStoreEndsACrlLeasePastItsTimeAndTakesOver) {
  LeaseStores stores(std::chrono::milliseconds(1000));
  SKIP_WITHOUT_POSTGRES(stores);
  auto holder = OpenPostgresStore(stores.schema.Conninfo(), {.connections = 1});
  ASSERT_THAT(holder, IsOk());
  std::atomic<bool> held{false};
  std::thread writers = HoldWriters(**holder, std::chrono::milliseconds(1500), held);
  std::atomic<bool> signed_first{false};
  Result<StoredCrl> late = Error(Code::kInternal, "not run");
  std::thread first([&] {
    late = stores.first->PublishCrl(CrlRequest{"a1", 120, std::nullopt}, [&](const CrlDraft& d) {
      signed_first = true;
      return Result<SignedCrl>(SignedCrl{Crls::Der(d), 100, 200});
    });
  });
  while (!signed_first) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto start = std::chrono::steady_clock::now();
  Crls crls;
  const auto taken = Publish(*stores.second, crls);
  const auto took = std::chrono::steady_clock::now() - start;
  first.join();
  writers.join();
  ASSERT_THAT(taken, IsOk());
  EXPECT_EQ(taken->number, 1);
  EXPECT_THAT(late, ErrorIs(Code::kUnavailable));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  EXPECT_EQ(Text(stores.first->NewestCrl("a1").value()->der), "crl 1 (cursor 0):");
  const auto log = stores.first->AuditLog().value();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].detail, "number=1 issuer=a1 revoked=0 cursor=0");
}

// A builder that reaches its commit after its lease (it waited that long for the writers' lock,
// with nobody to end it) does not commit: the CRL lease is measured by the database's clock from
// the start of the builder's transaction.
TEST(PostgresStoreTest, ACrlBuilderPastItsLeaseDoesNotCommit) {
  LeaseStores stores(std::chrono::milliseconds(500));
  SKIP_WITHOUT_POSTGRES(stores);
  std::atomic<bool> held{false};
  std::thread writers = HoldWriters(*stores.second, std::chrono::milliseconds(1200), held);
  Crls crls;
  const auto late = Publish(*stores.first, crls);
  writers.join();
  EXPECT_THAT(late, ErrorIs(Code::kUnavailable));
  EXPECT_NE(late.error().message().find("longer than the CRL lease"), std::string::npos)
      << late.error().message();
  EXPECT_FALSE(stores.first->NewestCrl("a1").value().has_value());
  EXPECT_EQ(Publish(*stores.first, crls).value().number, 1);
}

}  // namespace
}  // namespace anchor::store
