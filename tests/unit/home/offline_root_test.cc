// SPDX-License-Identifier: Apache-2.0
#include "home/offline_root.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>

#include "core/file_io.h"
#include "crypto/key_file.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;
using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

// FileSizeLimit makes every write beyond `bytes` fail with EFBIG while it lives, as a full disk
// would fail it (running as root, file modes cannot make a write fail).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = saved_;
    lim.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

class OfflineRootTest : public anchor::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  }
  std::string Home() const { return Path("ca"); }
  CaPaths Paths() const { return CaPaths::In(Home()); }
  // Between the key's size and the certificate's: the key can be written, the certificate not.
  rlim_t KeyButNotCertificate() const {
    const auto key = fs::file_size(Paths().root_key);
    const auto cert = fs::file_size(Paths().root_crt);
    EXPECT_LT(key + 16, cert);
    return key + 16;
  }
  FixedClock clock_{anchor::testing::kReferenceTime};
  anchor::testing::TestRng rng_{7};
};

TEST_F(OfflineRootTest, ACopyThatCannotBeWrittenWholeLeavesNothingAndCanBeRetried) {
  ASSERT_THAT(WriteFileAtomic(RootDir::In(Home()).crl, "the root's CRL", 0644), IsOk());
  const std::string offline = Path("offline");
  {
    const FileSizeLimit full(KeyButNotCertificate());
    EXPECT_FALSE(TakeRootOffline(Paths(), offline));
  }
  EXPECT_FALSE(FileExists(offline));  // made by the call: taken away again
  EXPECT_TRUE(FileExists(Paths().root_key));
  // An empty directory given is kept, and left empty.
  fs::create_directory(offline);
  {
    const FileSizeLimit full(KeyButNotCertificate());
    EXPECT_FALSE(TakeRootOffline(Paths(), offline));
  }
  EXPECT_TRUE(fs::is_empty(offline));
  // Run again with room: the key, certificate and CRL move.
  ASSERT_THAT(TakeRootOffline(Paths(), offline), IsOk());
  EXPECT_FALSE(FileExists(Paths().root_key));
  EXPECT_TRUE(LoadRoot(RootDir::In(offline), nullptr, "test"));
  EXPECT_EQ(ReadFile(RootDir::In(offline).crl).value(), "the root's CRL");
}

TEST_F(OfflineRootTest, ACopyWhoseKeyIsNotTheRootsIsRefusedAndTheHomeKeepsItsKey) {
  // The home's root.crt is not its root.key's certificate: what would be carried off could
  // sign nothing, so it is loaded and checked, not only compared byte for byte.
  const crypto::PrivateKey stranger =
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  ASSERT_THAT(crypto::WritePrivateKeyFile(Paths().root_key, stranger, nullptr), IsOk());
  const std::string offline = Path("offline");
  EXPECT_THAT(TakeRootOffline(Paths(), offline), ErrorIs(Code::kFailedPrecondition));
  EXPECT_TRUE(FileExists(Paths().root_key));
  EXPECT_FALSE(FileExists(offline));
}

TEST_F(OfflineRootTest, WriteOfflineRootLeavesNothingWhenItCannotWriteBoth) {
  const crypto::Certificate cert = crypto::LoadCertificateFile(Paths().root_crt).value();
  const crypto::PrivateKey key = crypto::LoadPrivateKeyFile(Paths().root_key, nullptr).value();
  const std::string offline = Path("offline");
  {
    const FileSizeLimit full(KeyButNotCertificate());
    EXPECT_FALSE(WriteOfflineRoot(offline, cert, key, nullptr));
  }
  EXPECT_FALSE(FileExists(offline));
  ASSERT_THAT(WriteOfflineRoot(offline, cert, key, nullptr), IsOk());
  EXPECT_TRUE(LoadRoot(RootDir::In(offline), nullptr, "test"));
}

}  // namespace
}  // namespace anchor::home
