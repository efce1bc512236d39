// SPDX-License-Identifier: Apache-2.0
// Keys in a TPM 2.0 (crypto/tpm2_key.h) against a real software TPM (swtpm) started by the test:
// made and sealed in the TPM, loaded back from their blob, signing CSRs from several threads,
// and the TPM's 3 transient object slots (no resource manager) given back.
#include "crypto/tpm2_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/file_io.h"
#include "crypto/csr.h"
#include "crypto/external_key.h"
#include "crypto/key_file.h"
#include "testlib/matchers.h"
#include "testlib/swtpm.h"
#include "testlib/temp_dir.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

// One swtpm for the suite: starting a TPM costs about 100 ms.
class Tpm2KeyTest : public testing::TempDirTest {
 protected:
  static void SetUpTestSuite() {
    state_ =
        std::filesystem::temp_directory_path() / ("anchor-swtpm-" + std::to_string(::getpid()));
    std::filesystem::remove_all(state_);
    std::filesystem::create_directories(state_);
    tpm_ = testing::Swtpm::Start(state_.string(), &why_);
    if (tpm_) {
      SetTpm2Tcti(tpm_->Tcti());
      // Without tpm2-openssl there is nothing to test: skip, saying so.
      if (auto probe = GenerateTpm2Key(KeyType::kEcP256);
          !probe && probe.error().code() == Code::kFailedPrecondition) {
        why_ = probe.error().message();
        tpm_.reset();
      }
    }
  }
  static void TearDownTestSuite() {
    SetTpm2Tcti("");
    tpm_.reset();  // stops swtpm by its PID
    std::filesystem::remove_all(state_);
  }
  void SetUp() override {
    testing::TempDirTest::SetUp();
    if (!tpm_) {
      GTEST_SKIP() << why_;
    }
  }

  static inline std::filesystem::path state_;
  static inline std::optional<testing::Swtpm> tpm_;
  static inline std::string why_;
};

TEST_F(Tpm2KeyTest, MakesAKeyInTheTpmThatSignsCsrs) {
  auto key = GenerateTpm2Key(KeyType::kEcP256);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->Type(), KeyType::kEcP256);
  const std::optional<std::string> pem = Tpm2KeyPem(*key);
  ASSERT_TRUE(pem.has_value());
  EXPECT_TRUE(IsTpm2KeyPem(*pem));
  EXPECT_EQ(pem->find("PRIVATE KEY-----\n"), pem->find("TSS2 PRIVATE KEY-----\n") + 5);
  // The private half is not anchor's to write out.
  EXPECT_THAT(key->ToPkcs8Pem(), ErrorIs(Code::kFailedPrecondition));
  ASSERT_NE(ExternalSigner(*key), nullptr);
  EXPECT_NE(ExternalSigner(*key)->Describe().find(tpm_->Tcti()), std::string::npos);

  auto csr = Csr::Create(*key, "tpm-device", {});
  ASSERT_THAT(csr, IsOk());
  EXPECT_THAT(csr->VerifySignature(), IsOk());
  EXPECT_TRUE(csr->GetPublicKey().Equals(key->Public()));
}

TEST_F(Tpm2KeyTest, LoadsTheSealedBlobBackAsTheSameKey) {
  std::string pem;
  PublicKey pub = PrivateKey::Generate(KeyType::kEcP256).value().Public();
  {
    auto key = GenerateTpm2Key(KeyType::kEcP256);
    ASSERT_THAT(key, IsOk());
    pem = *Tpm2KeyPem(*key);
    pub = key->Public();
  }
  auto loaded = LoadTpm2Key(pem);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->Public().Equals(pub));
  EXPECT_EQ(Tpm2KeyPem(*loaded), pem);
  auto csr = Csr::Create(*loaded, "tpm-device", {});
  ASSERT_THAT(csr, IsOk());
  EXPECT_THAT(csr->VerifySignature(), IsOk());
}

TEST_F(Tpm2KeyTest, KeyFilesHoldTheBlob0600AndLoadIntoTheTpm) {
  auto key = GenerateTpm2Key(KeyType::kEcP256);
  ASSERT_THAT(key, IsOk());
  const std::string path = Path("device.key");
  ASSERT_THAT(WritePrivateKeyFile(path, *key, nullptr), IsOk());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(path).value(), *Tpm2KeyPem(*key));
  auto loaded = LoadPrivateKeyFile(path, nullptr);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->Public().Equals(key->Public()));
  ASSERT_TRUE(Tpm2KeyPem(*loaded).has_value());
  // A TPM's blob is written as the TPM sealed it, holding no secret: a passphrase (that of a
  // CA home's other keys) does not apply to it.
  const SecretBytes passphrase(std::string_view("secret"));
  ASSERT_THAT(WritePrivateKeyFile(Path("x.key"), *key, &passphrase), IsOk());
  EXPECT_EQ(ReadFile(Path("x.key")).value(), *Tpm2KeyPem(*key));
}

// swtpm has 3 transient object slots and no resource manager: a key that kept its object, or a
// parent left loaded, would make the fourth key here fail with TPM_RC_OBJECT_MEMORY.
TEST_F(Tpm2KeyTest, GivesItsObjectSlotsBack) {
  std::string pem;
  for (int i = 0; i < 8; ++i) {
    auto key = GenerateTpm2Key(KeyType::kEcP256);
    ASSERT_THAT(key, IsOk()) << "key " << i;
    pem = *Tpm2KeyPem(*key);
  }
  for (int i = 0; i < 8; ++i) {
    ASSERT_THAT(LoadTpm2Key(pem), IsOk()) << "load " << i;
  }
  // Two keys at once, and a third made beside them (its parent takes the last slot meanwhile),
  // as a renewal with a new key needs.
  auto a = LoadTpm2Key(pem);
  auto b = GenerateTpm2Key(KeyType::kEcP256);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(Csr::Create(*a, "a", {}), IsOk());
  EXPECT_THAT(Csr::Create(*b, "b", {}), IsOk());
}

TEST_F(Tpm2KeyTest, SignsFromSeveralThreads) {
  auto key = GenerateTpm2Key(KeyType::kEcP256);
  ASSERT_THAT(key, IsOk());
  std::atomic<int> good{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto csr = Csr::Create(*key, "t", {});
        (csr && csr->VerifySignature() ? good : bad) += 1;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(good.load(), 100);
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(Tpm2KeyTest, ADamagedBlobIsRefused) {
  auto key = GenerateTpm2Key(KeyType::kEcP256);
  ASSERT_THAT(key, IsOk());
  std::string pem = *Tpm2KeyPem(*key);
  // A byte of the sealed private part (base64, near the end) changed: the TPM's integrity
  // check refuses it.
  const size_t at = pem.rfind("-----END") - 20;
  pem[at] = pem[at] == 'A' ? 'B' : 'A';
  EXPECT_THAT(LoadTpm2Key(pem), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(LoadTpm2Key("-----BEGIN PRIVATE KEY-----\n"), ErrorIs(Code::kInvalidArgument));
}

TEST_F(Tpm2KeyTest, AnUnreachableTpmIsUnavailableInOneLine) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  SetTpm2Tcti("swtpm:host=127.0.0.1,port=1");
  auto key = GenerateTpm2Key(KeyType::kEcP256);
  SetTpm2Tcti(tpm_->Tcti());
  ASSERT_THAT(key, ErrorIs(Code::kUnavailable));
  EXPECT_NE(key.error().message().find("swtpm:host=127.0.0.1,port=1"), std::string::npos);
  EXPECT_EQ(key.error().message().find('\n'), std::string::npos);
}

TEST_F(Tpm2KeyTest, SignaturesFailAsUnavailableWhileTheTpmIsGoneThenRecover) {
  std::filesystem::create_directories(Path("second"));
  std::string why;
  auto second = testing::Swtpm::Start(Path("second"), &why);
  ASSERT_TRUE(second.has_value()) << why;
  SetTpm2Tcti(second->Tcti());
  auto key = GenerateTpm2Key(KeyType::kEcP256);
  SetTpm2Tcti(tpm_->Tcti());
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(Csr::Create(*key, "before", {}), IsOk());
  second->Stop();
  auto csr = Csr::Create(*key, "after", {});
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code(), Code::kUnavailable) << csr.error().message();
  EXPECT_NE(csr.error().message().find(second->Tcti()), std::string::npos) << csr.error().message();

  // The same TPM back on its port and state: the key is loaded again from its blob, over a new
  // connection, at the first signature after the pause between attempts.
  const int port = second->port();
  second.reset();
  second = testing::Swtpm::Start(Path("second"), &why, port);
  ASSERT_TRUE(second.has_value()) << why;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto again = Csr::Create(*key, "again", {});
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->VerifySignature(), IsOk());
  EXPECT_TRUE(again->GetPublicKey().Equals(key->Public()));
}

}  // namespace
}  // namespace anchor::crypto
