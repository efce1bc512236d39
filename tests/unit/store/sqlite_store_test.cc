// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <type_traits>

#include "store/sqlite/migrations.h"
#include "testlib/matchers.h"
#include "testlib/store_records.h"
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
  Result<StoredCrl> PublishCrl(const CrlRequest&, const CrlSigner&) override { return No(); }
  Result<std::optional<StoredCrl>> NewestCrl(std::string_view) override { return No(); }
  Status InsertToken(const TokenRecord&, int64_t) override { return No(); }
  Result<TokenRecord> FindToken(std::string_view) override { return No(); }
  Status AppendAudit(std::string_view, std::string_view, std::string_view, std::string_view,
                     int64_t) override {
    return No();
  }
  Result<std::vector<AuditEntry>> AuditLog() override { return No(); }
  Result<std::optional<AuditEntry>> FirstAuditEntry() override { return No(); }
  Status Export(const std::function<Status(const StoreContents&)>&) override { return No(); }
  Status Import(const StoreContents&) override { return No(); }

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
  return testing::StoreRecord(serial, not_after, issuer_fingerprint);
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

class SqliteCrlTest : public testing::TempDirTest {};

// Another process on the same file (`anchor crl` beside `anchor serve`) stores a CRL while this
// one signs: the number it had read is taken, so this one drafts again with the next, and no
// number is used twice.
TEST_F(SqliteCrlTest, ANumberTakenByAnotherProcessWhileSigningIsDraftedAgain) {
  auto serve = OpenSqliteStore(Path("ca.db"));
  auto cli = OpenSqliteStore(Path("ca.db"));
  ASSERT_THAT(serve, IsOk());
  ASSERT_THAT(cli, IsOk());
  const auto sign = [](const CrlDraft& d) {
    const std::string text = "crl " + std::to_string(d.number);
    return Result<SignedCrl>(SignedCrl{std::vector<uint8_t>(text.begin(), text.end()), 100, 200});
  };
  std::vector<int64_t> drafted;
  const auto published = (*serve)->PublishCrl(
      CrlRequest{"a1", 120, std::nullopt}, [&](const CrlDraft& d) -> Result<SignedCrl> {
        drafted.push_back(d.number);
        if (drafted.size() == 1) {
          const auto other = (*cli)->PublishCrl(CrlRequest{"a1", 120, std::nullopt}, sign);
          EXPECT_EQ(other.value().number, 1);
        }
        return sign(d);
      });
  ASSERT_THAT(published, IsOk());
  EXPECT_EQ(drafted, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(published->number, 2);
  const auto newest = (*cli)->NewestCrl("a1").value();
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(std::string(newest->der.begin(), newest->der.end()), "crl 2");
  EXPECT_EQ((*serve)->AuditLog().value().size(), 2u);
}

}  // namespace
}  // namespace anchor::store
