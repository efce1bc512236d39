// SPDX-License-Identifier: Apache-2.0
#include "home/home_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/file_io.h"
#include "crypto/key_file.h"
#include "home/backup.h"
#include "home/ca_home.h"
#include "home/own_certificates.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;
using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ClassifyHomeFileTest, KnowsTheCaHomesFilesAndNothingElse) {
  EXPECT_EQ(ClassifyHomeFile("anchor.toml"), HomeFileKind::kPublic);
  EXPECT_EQ(ClassifyHomeFile("ocsp.crt"), HomeFileKind::kPublic);
  EXPECT_EQ(ClassifyHomeFile("root.key"), HomeFileKind::kKey);
  EXPECT_EQ(ClassifyHomeFile("intermediates/current"), HomeFileKind::kPublic);
  EXPECT_EQ(ClassifyHomeFile("intermediates/12/intermediate.crt"), HomeFileKind::kPublic);
  EXPECT_EQ(ClassifyHomeFile("intermediates/2/intermediate.key"), HomeFileKind::kKey);
  for (const char* store : {"anchor.db", "anchor.db-wal", "anchor.db-shm", "anchor.db-journal"}) {
    EXPECT_EQ(ClassifyHomeFile(store), HomeFileKind::kStore) << store;
  }
  for (const char* other :
       {"k1.backup", "backups/k1.backup", "server.crt.new", "anchor.toml.tmp-ab12cd", "root.pem",
        "intermediates/02/intermediate.key", "intermediates/x/intermediate.key",
        "intermediates/2/root.key", "intermediates/2/../../root.key", "../root.key", ""}) {
    EXPECT_EQ(ClassifyHomeFile(other), HomeFileKind::kUnknown) << other;
  }
}

TEST(ClassifyHomeFileTest, TheRootsCrlIsAHomeFileAndTheLockIsTheHomesOwn) {
  EXPECT_EQ(ClassifyHomeFile("root.crl"), HomeFileKind::kPublic);
  EXPECT_EQ(ClassifyHomeFile("own-certificates.lock"), HomeFileKind::kLock);
  EXPECT_EQ(ClassifyHomeFile("intermediates/2/root.crl"), HomeFileKind::kUnknown);
}

class HomeFilesTest : public anchor::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  }
  std::string Home() const { return Path("ca"); }
  FixedClock clock_{anchor::testing::kReferenceTime};
  anchor::testing::TestRng rng_{7};
};

TEST_F(HomeFilesTest, ListsKnownFilesFollowsLinksAndNamesTheRest) {
  ASSERT_THAT(WriteFileAtomic(Home() + "/k1.backup", "x", 0600), IsOk());
  ASSERT_THAT(MakeDirectories(Home() + "/backups", 0700), IsOk());
  fs::rename(Home() + "/anchor.toml", Path("real.toml"));
  fs::create_symlink(Path("real.toml"), Home() + "/anchor.toml");
  auto listing = ListHomeFiles(Home());
  ASSERT_THAT(listing, IsOk());
  EXPECT_THAT(listing->unknown, ElementsAre("backups", "k1.backup"));
  ASSERT_EQ(listing->files.size(), 9u);  // anchor.toml, 4 certificates, 4 keys
  EXPECT_EQ(listing->files[0].rel, "admin.crt");
  const auto toml = std::find_if(listing->files.begin(), listing->files.end(),
                                 [](const HomeFile& f) { return f.rel == "anchor.toml"; });
  ASSERT_NE(toml, listing->files.end());
  EXPECT_TRUE(toml->symlink);
}

TEST_F(HomeFilesTest, RefusesADanglingLinkOrADirectoryUnderAKnownName) {
  fs::create_symlink(Path("nowhere"), Home() + "/ocsp.crt");
  EXPECT_THAT(ListHomeFiles(Home()), ErrorIs(Code::kFailedPrecondition));
  fs::remove(Home() + "/ocsp.crt");
  fs::create_directory(Home() + "/ocsp.key");
  auto listing = ListHomeFiles(Home());
  EXPECT_THAT(listing, ErrorIs(Code::kFailedPrecondition));
  EXPECT_THAT(listing.error().message(), HasSubstr("other than a regular file"));
}

TEST_F(HomeFilesTest, BackupLeavesOutOtherFilesAndRestoreFillsAnEmptyDirectory) {
  ASSERT_THAT(WriteFileAtomic(Home() + "/k0.backup", "x", 0600), IsOk());
  auto backup = BackupCaHome(Home(), Path("b.backup"), BackupOptions{}, clock_);
  ASSERT_THAT(backup, IsOk());
  EXPECT_THAT(backup->not_backed_up, ElementsAre("k0.backup"));
  EXPECT_THAT(backup->keys_left_out,
              ElementsAre("admin.key", "intermediate.key", "root.key", "server.key"));
  fs::create_directory(Path("empty"));
  auto restored = RestoreCaHome(Path("b.backup"), Path("empty") + "/", nullptr);
  ASSERT_THAT(restored, IsOk());
  EXPECT_EQ(restored->keys_left_out, backup->keys_left_out);
  EXPECT_TRUE(fs::is_regular_file(Path("empty") + "/anchor.toml"));
  EXPECT_TRUE(fs::is_regular_file(Path("empty") + "/anchor.db"));
  EXPECT_FALSE(fs::exists(Path("empty") + "/k0.backup"));
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(Path("empty"))) {
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();  // no staging left
    ++entries;
  }
  EXPECT_EQ(entries, 6u);  // anchor.toml, anchor.db, 4 certificates
  EXPECT_THAT(RestoreCaHome(Path("b.backup"), Path("empty"), nullptr),
              ErrorIs(Code::kAlreadyExists));
}

TEST_F(HomeFilesTest, TheRootsCrlIsBackedUpAndRestoredAndTheLockIsNeitherNorReported) {
  ASSERT_THAT(WriteFileAtomic(Home() + "/root.crl", "the root's CRL", 0644), IsOk());
  ASSERT_THAT(WriteFileAtomic(Home() + "/own-certificates.lock", "", 0600), IsOk());
  auto backup = BackupCaHome(Home(), Path("b.backup"), BackupOptions{}, clock_);
  ASSERT_THAT(backup, IsOk());
  EXPECT_THAT(backup->not_backed_up, ElementsAre());
  EXPECT_THAT(backup->files, ::testing::Contains("root.crl"));
  EXPECT_THAT(backup->files, ::testing::Not(::testing::Contains("own-certificates.lock")));
  auto restored = RestoreCaHome(Path("b.backup"), Path("restored"), nullptr);
  ASSERT_THAT(restored, IsOk());
  EXPECT_EQ(ReadFile(Path("restored") + "/root.crl").value(), "the root's CRL");
  EXPECT_FALSE(FileExists(Path("restored") + "/own-certificates.lock"));
}

TEST_F(HomeFilesTest, ABackupWithKeysReadsTheServersPairUnderTheOwnCertificatesLock) {
  // serve's renewal holds the lock while it replaces server.key and server.crt: a backup with
  // keys started meanwhile waits, and holds the renewed pair, not the old certificate with the
  // new key (or the old key with the new certificate).
  const CaPaths paths = CaPaths::In(Home());
  std::optional<FileLock> renewal = LockOwnCertificates(paths).value();
  const SecretBytes passphrase("backup passphrase");
  BackupOptions options;
  options.with_keys = true;
  options.passphrase = &passphrase;
  std::atomic<bool> done{false};
  Status result = OkStatus();
  std::thread backup([&] {
    auto report = BackupCaHome(Home(), Path("k.backup"), options, clock_);
    result = report ? OkStatus() : Status(report.error());
    done = true;
  });
  // Long enough for a backup that does not wait to have read server.* (its reads take a few
  // milliseconds; each key's encryption some tens).
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(done.load());  // still waiting for the renewal to finish
  const crypto::PrivateKey renewed_key =
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  ASSERT_THAT(crypto::WritePrivateKeyFile(paths.server_key, renewed_key, nullptr), IsOk());
  const std::string renewed_crt = ReadFile(paths.admin_crt).value();  // another certificate
  ASSERT_THAT(WriteFileAtomic(paths.server_crt, renewed_crt, 0644), IsOk());
  renewal.reset();
  backup.join();
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(RestoreCaHome(Path("k.backup"), Path("restored"), &passphrase), IsOk());
  EXPECT_EQ(ReadFile(Path("restored") + "/server.crt").value(), renewed_crt);
  const auto restored_key =
      crypto::LoadPrivateKeyFile(Path("restored") + "/server.key", &passphrase);
  ASSERT_THAT(restored_key, IsOk());
  EXPECT_TRUE(restored_key->Public().Equals(renewed_key.Public()));
}

}  // namespace
}  // namespace anchor::home
