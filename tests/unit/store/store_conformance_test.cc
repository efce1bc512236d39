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

// A backend is a class with Open() (the store under test, or nullptr to skip, with why()),
// and Replica() (a second store on the same database, or nullptr where there is none).
class SqliteMemory {
 public:
  std::unique_ptr<Store> Open() { return OpenSqliteStore(":memory:").value(); }
  std::unique_ptr<Store> Replica() { return nullptr; }
  std::string why() const { return ""; }
};

class SqliteFile {
 public:
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
  EXPECT_EQ(store.NextCrlNumber(1).value(), 1);
  EXPECT_EQ(store.NextCrlNumber(2).value(), 2);
  const CertificateRecord r = Record("01");
  ASSERT_THAT(store.InsertCertificates({&r, 1}, 3), IsOk());
  ASSERT_THAT(store.Revoke("01", 4, 0, ""), IsOk());
  const auto log = store.AuditLog().value();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].prev_hash, kAuditGenesisHash);
  EXPECT_EQ(log[2].action, "issue");
  EXPECT_EQ(log[3].action, "revoke");
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
        if (!store.InsertCertificates({&r, 1}, 1) || !store.Revoke(serial, 2, 1, "") ||
            !store.NextCrlNumber(3)) {
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
  EXPECT_EQ(first.NextCrlNumber(4).value(), total + 1);
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
  ASSERT_THAT(source->NextCrlNumber(6), IsOk());
  ASSERT_THAT(source->NextCrlNumber(7), IsOk());

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
  EXPECT_EQ(target->NextCrlNumber(8).value(), 3);
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

}  // namespace
}  // namespace anchor::store
