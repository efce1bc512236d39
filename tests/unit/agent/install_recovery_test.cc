// SPDX-License-Identifier: Apache-2.0
// A crash between renaming a renewal's new key and its new chain into place: the agent finishes
// the installation when the staged chain belongs to the key on disk, and undoes it otherwise.
#include <gtest/gtest.h>

#include "agent/device_enrollment.h"
#include "core/file_io.h"
#include "crypto/cert_builder.h"
#include "crypto/key_file.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor::agent {
namespace {

using anchor::testing::IsOk;

struct Pair {
  crypto::PrivateKey key;
  std::string cert_pem;
};

Pair MakePair(const std::string& cn) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  crypto::CertTemplate t;
  t.serial = {0x01, static_cast<uint8_t>(cn.size())};
  t.common_name = cn;
  t.not_before = SystemClock().Now();
  t.not_after = t.not_before + std::chrono::hours(1);
  t.key_usage = crypto::kDigitalSignature;
  t.authority_key_id = false;
  auto cert = crypto::SignCertificate(t, key.Public(), nullptr, key).value();
  return {std::move(key), cert.ToPem()};
}

class InstallRecoveryTest : public anchor::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    files_ = {Path("device.key"), Path("device.crt"), ""};
    ASSERT_THAT(crypto::WritePrivateKeyFile(files_.key, old_.key, nullptr), IsOk());
    ASSERT_THAT(WriteFileAtomic(files_.cert, old_.cert_pem, kPublicFileMode), IsOk());
  }
  std::string Read(const std::string& path) { return ReadFile(path).value(); }

  DeviceFiles files_;
  Pair old_ = MakePair("old");
  Pair new_ = MakePair("new");
};

TEST_F(InstallRecoveryTest, StoppedBeforeAnyRenameKeepsTheOldPair) {
  const std::string key_before = Read(files_.key);
  ASSERT_THAT(crypto::WritePrivateKeyFile(files_.key + ".new", new_.key, nullptr), IsOk());
  ASSERT_THAT(WriteFileAtomic(files_.cert + ".new", new_.cert_pem, kPublicFileMode), IsOk());
  ASSERT_THAT(RecoverInterruptedInstall(files_), IsOk());
  EXPECT_EQ(Read(files_.key), key_before);
  EXPECT_EQ(Read(files_.cert), old_.cert_pem);
  EXPECT_EQ(EntryCount(), 2u);
}

TEST_F(InstallRecoveryTest, StoppedBetweenTheRenamesFinishesTheNewPair) {
  ASSERT_THAT(crypto::WritePrivateKeyFile(files_.key, new_.key, nullptr), IsOk());  // renamed
  ASSERT_THAT(WriteFileAtomic(files_.cert + ".new", new_.cert_pem, kPublicFileMode), IsOk());
  ASSERT_THAT(RecoverInterruptedInstall(files_), IsOk());
  EXPECT_EQ(Read(files_.cert), new_.cert_pem);
  EXPECT_EQ(EntryCount(), 2u);
}

TEST_F(InstallRecoveryTest, AStagedChainForAnotherKeyIsDiscarded) {
  ASSERT_THAT(WriteFileAtomic(files_.cert + ".new", new_.cert_pem, kPublicFileMode), IsOk());
  ASSERT_THAT(RecoverInterruptedInstall(files_), IsOk());
  EXPECT_EQ(Read(files_.cert), old_.cert_pem);
  EXPECT_EQ(EntryCount(), 2u);
}

TEST_F(InstallRecoveryTest, NothingStagedChangesNothing) {
  ASSERT_THAT(RecoverInterruptedInstall(files_), IsOk());
  EXPECT_EQ(Read(files_.cert), old_.cert_pem);
  EXPECT_EQ(EntryCount(), 2u);
}

}  // namespace
}  // namespace anchor::agent
