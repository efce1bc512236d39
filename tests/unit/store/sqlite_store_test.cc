// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <type_traits>

#include "store/audit_chain.h"
#include "store/sqlite/migrations.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor::store {
namespace {

using testing::ErrorIs;
using testing::IsOk;

// AllButCountByStatus is a backend that implements every operation of Store except
// CountByStatus, which the metrics read at each scrape.
class AllButCountByStatus : public Store {
 public:
  Status InsertCertificates(std::span<const CertificateRecord>, int64_t) override { return No(); }
  Result<std::vector<Status>> InsertEach(std::span<const CertificateRecord>, int64_t) override {
    return No();
  }
  Result<CertificateRecord> FindBySerial(std::string_view) override { return No(); }
  Result<std::vector<CertificateRecord>> List(const ListFilter&) override { return No(); }
  Result<int64_t> CountCertificates() override { return No(); }
  Result<RevocationEvent> Revoke(std::string_view, int64_t, int, std::string_view) override {
    return No();
  }
  Result<std::vector<RevokedEntry>> RevokedUnexpired(std::string_view, int64_t) override {
    return No();
  }
  Result<int64_t> AttributeIssuer(std::string_view) override { return No(); }
  Result<std::vector<RevocationEvent>> RevocationsSince(int64_t, size_t) override { return No(); }
  Result<int64_t> LatestRevocation() override { return No(); }
  Result<int64_t> NextCrlNumber(int64_t) override { return No(); }
  Status InsertToken(const TokenRecord&, int64_t) override { return No(); }
  Result<TokenRecord> FindToken(std::string_view) override { return No(); }
  Status AppendAudit(std::string_view, std::string_view, std::string_view, std::string_view,
                     int64_t) override {
    return No();
  }
  Result<std::vector<AuditEntry>> AuditLog() override { return No(); }

 private:
  static Error No() { return Error(Code::kInternal, "not this backend"); }
};

TEST(StoreInterfaceTest, EveryBackendMustCountByStatus) {
  // A backend without CountByStatus does not compile into a store: no silent kUnimplemented
  // for the metrics to find at run time.
  static_assert(std::is_abstract_v<AllButCountByStatus>);
  SUCCEED();
}

CertificateRecord Record(const std::string& serial, int64_t not_after = 2000,
                         const std::string& issuer_fingerprint = "a1") {
  CertificateRecord r;
  r.serial = serial;
  r.issuer = "CN=CA";
  r.issuer_fingerprint = issuer_fingerprint;
  r.subject = "CN=" + serial;
  r.common_name = serial;
  r.sans = {"dns:a.example", "ip:10.0.0.1"};
  r.profile = "server";
  r.not_before = 0;
  r.not_after = not_after;
  r.der = {0x30, 0x00};
  r.fingerprint = "fp-" + serial;
  return r;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> store_ = OpenSqliteStore(":memory:").value();
};

TEST_F(SqliteStoreTest, InsertsAndFinds) {
  const CertificateRecord r = Record("0a");
  ASSERT_THAT(store_->InsertCertificates({&r, 1}, 100), IsOk());
  const auto got = store_->FindBySerial("0A");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->sans, r.sans);
  EXPECT_EQ(got->created_at, 100);
  EXPECT_THAT(store_->FindBySerial("0b"), ErrorIs(Code::kNotFound));
}

TEST_F(SqliteStoreTest, DuplicateSerialInABatchWritesNothing) {
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02"), Record("01")};
  EXPECT_THAT(store_->InsertCertificates(batch, 1), ErrorIs(Code::kAlreadyExists));
  EXPECT_EQ(store_->CountCertificates().value(), 0);
  EXPECT_TRUE(store_->AuditLog().value().empty());
}

// A group commit writes several requests in one transaction: the one that fails (a serial that
// exists, a token used already) leaves no row, no audit entry and no consumed token; the others
// commit, and the audit chain stays whole.
TEST_F(SqliteStoreTest, InsertEachFailsARecordAloneAndCommitsTheOthers) {
  const CertificateRecord existing = Record("01");
  ASSERT_THAT(store_->InsertCertificates({&existing, 1}, 1), IsOk());
  TokenRecord token{"hash-1", "dev", {}, "device", 0, 100, 0, ""};
  ASSERT_THAT(store_->InsertToken(token, 1), IsOk());
  std::vector<CertificateRecord> group = {Record("02"), Record("01"), Record("03"), Record("04"),
                                          Record("05")};
  group[2].token_hash = "hash-1";
  group[3].token_hash = "hash-1";  // the same token again: refused inside the group
  group[4].token_hash = "no-such-token";
  const auto each = store_->InsertEach(group, 2);
  ASSERT_THAT(each, IsOk());
  ASSERT_EQ(each->size(), 5u);
  EXPECT_THAT((*each)[0], IsOk());
  EXPECT_THAT((*each)[1], ErrorIs(Code::kAlreadyExists));
  EXPECT_THAT((*each)[2], IsOk());
  EXPECT_THAT((*each)[3], ErrorIs(Code::kUnauthenticated));
  EXPECT_THAT((*each)[4], ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(store_->CountCertificates().value(), 3);  // 01, 02, 03
  EXPECT_THAT(store_->FindBySerial("04"), ErrorIs(Code::kNotFound));
  EXPECT_EQ(store_->FindToken("hash-1").value().used_by, "03");
  const auto log = store_->AuditLog().value();
  EXPECT_EQ(log.size(), 4u);  // issue 01, token, issue 02, issue 03
  EXPECT_TRUE(VerifyAuditChain(log).empty());
}

TEST_F(SqliteStoreTest, LatestRevocationIsTheNewestSequenceNumber) {
  EXPECT_EQ(store_->LatestRevocation().value(), 0);
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02")};
  ASSERT_THAT(store_->InsertCertificates(batch, 1), IsOk());
  ASSERT_THAT(store_->Revoke("01", 10, 1, ""), IsOk());
  const auto second = store_->Revoke("02", 11, 1, "");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(store_->LatestRevocation().value(), second->seq);
}

TEST_F(SqliteStoreTest, RevokesOnceAndFeedsTheSequence) {
  const std::vector<CertificateRecord> batch = {Record("01"), Record("02"), Record("03", 50)};
  ASSERT_THAT(store_->InsertCertificates(batch, 1), IsOk());
  const auto first = store_->Revoke("01", 10, 1, "");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(store_->Revoke("01", 11, 1, ""), ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(store_->Revoke("ff", 11, 1, ""), ErrorIs(Code::kNotFound));
  ASSERT_THAT(store_->Revoke("03", 12, 4, ""), IsOk());
  const auto since = store_->RevocationsSince(first->seq, 10).value();
  ASSERT_EQ(since.size(), 1u);
  EXPECT_EQ(since[0].serial, "03");
  // "03" expired at 50: it leaves the CRL once expired.
  EXPECT_EQ(store_->RevokedUnexpired("a1", 100).value().size(), 1u);
  EXPECT_EQ(store_->RevokedUnexpired("a1", 10).value().size(), 2u);
  ListFilter f;
  f.status = StatusFilter::kValid;
  f.now = 100;
  EXPECT_EQ(store_->List(f).value().size(), 1u);
}

TEST_F(SqliteStoreTest, CrlNumbersIncreaseAndEverythingIsAudited) {
  EXPECT_EQ(store_->NextCrlNumber(1).value(), 1);
  EXPECT_EQ(store_->NextCrlNumber(2).value(), 2);
  const CertificateRecord r = Record("01");
  ASSERT_THAT(store_->InsertCertificates({&r, 1}, 3), IsOk());
  ASSERT_THAT(store_->Revoke("01", 4, 0, ""), IsOk());
  const auto log = store_->AuditLog().value();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[2].action, "issue");
  EXPECT_EQ(log[3].action, "revoke");
  EXPECT_TRUE(VerifyAuditChain(log).empty());
}

TEST(SqliteErrorsTest, AStoreThatCannotBeWrittenNowIsUnavailable) {
  // Each passes once the operator frees space, fixes the file or the lock is released: the
  // client should retry (503 + Retry-After), and an agent keeps its schedule.
  for (const int rc :
       {SQLITE_FULL, SQLITE_IOERR, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, SQLITE_IOERR_SHMSIZE,
        SQLITE_READONLY, SQLITE_READONLY_DBMOVED, SQLITE_CANTOPEN, SQLITE_BUSY,
        SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_PROTOCOL}) {
    EXPECT_EQ(CodeForSqlite(rc), Code::kUnavailable) << ::sqlite3_errstr(rc);
  }
}

TEST(SqliteErrorsTest, DuplicatesAndOtherFaultsAreNot) {
  EXPECT_EQ(CodeForSqlite(SQLITE_CONSTRAINT_PRIMARYKEY), Code::kAlreadyExists);
  EXPECT_EQ(CodeForSqlite(SQLITE_CONSTRAINT_UNIQUE), Code::kAlreadyExists);
  for (const int rc : {SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISUSE, SQLITE_ERROR,
                       SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_SCHEMA}) {
    EXPECT_NE(CodeForSqlite(rc), Code::kUnavailable) << ::sqlite3_errstr(rc);
  }
}

TEST_F(SqliteStoreTest, EachIssuerListsOnlyItsOwnRevocations) {
  // Two intermediate generations, one revoked certificate each: each CRL names its own.
  const std::vector<CertificateRecord> batch = {Record("01", 2000, "a1"), Record("02", 2000, "b2"),
                                                Record("03", 2000, "b2")};
  ASSERT_THAT(store_->InsertCertificates(batch, 1), IsOk());
  ASSERT_THAT(store_->Revoke("01", 10, 1, ""), IsOk());
  ASSERT_THAT(store_->Revoke("02", 10, 1, ""), IsOk());
  const auto first = store_->RevokedUnexpired("a1", 100).value();
  const auto second = store_->RevokedUnexpired("B2", 100).value();  // hex in either case
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].serial, "01");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].serial, "02");
  EXPECT_TRUE(store_->RevokedUnexpired("c3", 100).value().empty());
  EXPECT_EQ(store_->FindBySerial("03").value().issuer_fingerprint, "b2");
}

class SqliteMigrationTest : public testing::TempDirTest {};

// A database of schema v4 (before issuers were recorded), made with SQLite itself: opening it
// migrates to v5, and AttributeIssuer backfills its rows with the intermediate that issued them.
TEST_F(SqliteMigrationTest, V5BackfillsTheIssuerOfEarlierCertificates) {
  const std::string db = Path("v4.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(::sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    const auto steps = sqlite::Migrations();
    ASSERT_GE(steps.size(), 5u);
    for (size_t v = 0; v < 4; ++v) {
      ASSERT_EQ(::sqlite3_exec(raw, std::string(steps[v]).c_str(), nullptr, nullptr, nullptr),
                SQLITE_OK);
    }
    const char* row =
        "PRAGMA user_version = 4;"
        "INSERT INTO certificates (serial, issuer, subject, common_name, sans, profile, "
        "not_before, not_after, status, der, fingerprint, created_at) VALUES "
        "('0a', 'CN=CA', 'CN=old', 'old', '', 'device', 0, 2000, 'revoked', x'3000', 'fp-0a', 1);";
    ASSERT_EQ(::sqlite3_exec(raw, row, nullptr, nullptr, nullptr), SQLITE_OK);
    ::sqlite3_close(raw);
  }
  auto store = OpenSqliteStore(db);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->FindBySerial("0a").value().issuer_fingerprint, "");
  ASSERT_THAT(
      (*store)->InsertCertificates(std::vector<CertificateRecord>{Record("0b", 2000, "b2")}, 1),
      IsOk());
  EXPECT_EQ((*store)->AttributeIssuer("A1").value(), 1);
  EXPECT_EQ((*store)->AttributeIssuer("ff").value(), 0);  // nothing is left to attribute
  EXPECT_EQ((*store)->FindBySerial("0a").value().issuer_fingerprint, "a1");
  EXPECT_EQ((*store)->FindBySerial("0b").value().issuer_fingerprint, "b2");
}

}  // namespace
}  // namespace anchor::store
