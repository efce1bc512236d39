// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite/backup_archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite/sqlite_store.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor::store {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using ::testing::HasSubstr;

class BackupArchiveTest : public anchor::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_THAT(OpenSqliteStore(Path("anchor.db")), IsOk());  // the migrations' schema
  }
  std::string Backup(const char* name) {
    const std::string out = Path(name);
    EXPECT_THAT(WriteBackupArchive(Path("anchor.db"), out, {{"anchor.toml", 0644, "x"}}, {}),
                IsOk());
    return out;
  }
  // Sql runs `sql` on the file at `path`, as the sqlite3 CLI would.
  static void Sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(::sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(::sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    ::sqlite3_free(err);
    ::sqlite3_close(db);
  }
};

TEST_F(BackupArchiveTest, ReadsWhatItWrote) {
  auto read = ReadBackupArchive(Backup("b.backup"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->files.size(), 1u);
  EXPECT_EQ(read->manifest.format, 2);
}

TEST_F(BackupArchiveTest, RefusesATriggerAddedToTheStore) {
  const std::string b = Backup("b.backup");
  Sql(b,
      "CREATE TRIGGER u AFTER UPDATE OF status ON certificates BEGIN UPDATE certificates SET "
      "status='valid' WHERE serial=NEW.serial; END");
  auto read = ReadBackupArchive(b);
  EXPECT_THAT(read, ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(read.error().message(), HasSubstr("its schema has trigger u (on certificates)"));
}

TEST_F(BackupArchiveTest, RefusesARenamedColumn) {
  const std::string b = Backup("b.backup");
  Sql(b,
      "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql=replace(sql, ' fingerprint ', "
      "' fingebprint ') WHERE name='certificates'");
  auto read = ReadBackupArchive(b);
  EXPECT_THAT(read, ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(read.error().message(), HasSubstr("table certificates (on certificates) differs"));
}

TEST_F(BackupArchiveTest, RefusesAViewOnTheBackupsOwnTables) {
  const std::string b = Backup("b.backup");
  Sql(b, "CREATE VIEW anchor_backup_v AS SELECT 1");
  EXPECT_THAT(ReadBackupArchive(b), ErrorIs(Code::kInvalidArgument));
}

TEST_F(BackupArchiveTest, DigestCoversTheSchema) {
  // A table added and recorded in no manifest: the schema check names it first; the digest of
  // a schema that passed is that of the schema and rows (a changed user_version changes it).
  const std::string b = Backup("b.backup");
  Sql(b, "CREATE TABLE extra (x)");
  auto read = ReadBackupArchive(b);
  EXPECT_THAT(read, ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(read.error().message(), HasSubstr("table extra"));
}

TEST_F(BackupArchiveTest, RefusesANewerSchemaVersion) {
  const std::string b = Backup("b.backup");
  Sql(b, "UPDATE anchor_backup_manifest SET value='999' WHERE key='schema_version'");
  EXPECT_THAT(ReadBackupArchive(b), ErrorIs(Code::kFailedPrecondition));
}

TEST_F(BackupArchiveTest, FileNamesAreNotUris) {
  const std::string odd = Backup("b%31 ?x#y.backup");
  Sql(Backup("b1 ?x#y.backup"), "DELETE FROM anchor_backup_files");
  auto read = ReadBackupArchive(odd);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->files.size(), 1u);  // itself, not "b1 ?x#y.backup"
  EXPECT_THAT(ExtractStore(odd, Path("out.db")), IsOk());
}

TEST_F(BackupArchiveTest, NamesWhatIsNotABackupFile) {
  EXPECT_THAT(ReadBackupArchive(Path("none")), ErrorIs(Code::kNotFound));
  EXPECT_THAT(ReadBackupArchive(Path("")).error().message(), HasSubstr("is a directory"));
  Sql(Path("empty.backup"), "");
  auto empty = ReadBackupArchive(Path("empty.backup"));
  EXPECT_THAT(empty.error().message(), HasSubstr("it is empty"));
}

}  // namespace
}  // namespace anchor::store
