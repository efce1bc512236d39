// SPDX-License-Identifier: Apache-2.0
#include "home/rotation.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ca/generation.h"
#include "core/file_io.h"
#include "crypto/key_file.h"
#include "home/intermediates.h"
#include "home/offline_root.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::home {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::MakeCsr;

class RotationTest : public anchor::testing::TempDirTest {
 protected:
  std::string Home() const { return Path("ca"); }
  std::unique_ptr<CaHome> Open(bool need_key = true) {
    return CaHome::Open(Home(), nullptr, need_key, clock_, rng_).value();
  }
  crypto::Certificate IssueDevice(CaHome& home, const std::string& cn) {
    return home.authority()
        .Issue({MakeCsr(cn), ca::OperatorRequest{ca::Profile::kDevice, 30}})
        .value()
        .cert;
  }
  FixedClock clock_{anchor::testing::kReferenceTime};
  anchor::testing::TestRng rng_{7};
};

TEST_F(RotationTest, TheNewGenerationIssuesAndTheOldOneStaysToAnswerForItsOwn) {
  InitOptions init;
  init.public_url = "https://ca.test";
  ASSERT_THAT(InitCa(Home(), init, clock_, rng_), IsOk());
  auto home = Open();
  EXPECT_EQ(home->generation(), 1);
  const crypto::Certificate old_leaf = IssueDevice(*home, "dev-old");
  const crypto::PrivateKey root_key =
      crypto::LoadPrivateKeyFile(home->paths().root_key, nullptr).value();
  auto rotated = RotateIntermediate(*home, root_key, RotateOptions{}, clock_, rng_);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->retired, 1);
  EXPECT_EQ(rotated->generation, 2);
  EXPECT_EQ(rotated->cert.CommonName(), "anchor Intermediate CA G2");

  auto after = Open();
  EXPECT_EQ(after->generation(), 2);
  EXPECT_EQ(after->intermediate().Sha256Fingerprint(), rotated->cert.Sha256Fingerprint());
  ASSERT_EQ(after->retired().size(), 1u);
  EXPECT_EQ(after->retired()[0].number, 1);
  EXPECT_EQ(after->retired()[0].fingerprint, home->intermediate().Sha256Fingerprint());
  // The issuer is chosen at issuance: the new generation, with its own CDP and AIA.
  const crypto::Certificate new_leaf = IssueDevice(*after, "dev-new");
  EXPECT_TRUE(new_leaf.NamesIssuer(rotated->cert));
  EXPECT_TRUE(new_leaf.VerifySignedBy(rotated->cert.GetPublicKey()));
  EXPECT_EQ(after->store().FindBySerial(new_leaf.SerialHex()).value().issuer_fingerprint,
            rotated->cert.Sha256Fingerprint());
  EXPECT_EQ(after->store().FindBySerial(old_leaf.SerialHex()).value().issuer_fingerprint,
            home->intermediate().Sha256Fingerprint());
  EXPECT_EQ(ca::IssuerOf(after->authority().generations(), old_leaf)->number, 1);
  EXPECT_EQ(ca::IssuerOf(after->authority().generations(), new_leaf)->number, 2);
  // The home's intermediate.crt and intermediate.key are copies of the new pair.
  EXPECT_EQ(crypto::LoadCertificateFile(after->paths().intermediate_crt)->Sha256Fingerprint(),
            rotated->cert.Sha256Fingerprint());
  // Once the retired generation has expired, it is no longer loaded.
  FixedClock later{home->intermediate().NotAfter() + std::chrono::seconds(1)};
  auto expired = CaHome::Open(Home(), nullptr, false, later, rng_).value();
  EXPECT_TRUE(expired->retired().empty());
}

TEST_F(RotationTest, AnOpenedHomeTakesUpARotationMadeByAnotherProcess) {
  // `anchor serve` holds a home open while `anchor ca rotate` switches intermediates/current:
  // ReloadIntermediates is how serve issues from the new generation without a restart.
  InitOptions init;
  const SecretBytes passphrase("rotate me");
  init.passphrase = &passphrase;
  ASSERT_THAT(InitCa(Home(), init, clock_, rng_), IsOk());
  auto serving = CaHome::Open(Home(), &passphrase, true, clock_, rng_).value();
  const std::string gen1 = serving->intermediate().Sha256Fingerprint();
  EXPECT_EQ(serving->ReloadIntermediates(&passphrase).value(), false);

  auto other = CaHome::Open(Home(), &passphrase, true, clock_, rng_).value();
  const crypto::PrivateKey root_key =
      crypto::LoadPrivateKeyFile(other->paths().root_key, &passphrase).value();
  RotateOptions options;
  options.passphrase = &passphrase;
  auto rotated = RotateIntermediate(*other, root_key, options, clock_, rng_);
  ASSERT_THAT(rotated, IsOk());

  EXPECT_EQ(serving->ReloadIntermediates(&passphrase).value(), true);
  EXPECT_EQ(serving->generation(), 2);
  EXPECT_EQ(serving->issuing_files().cert, FilesOf(Home(), 2).cert);
  ASSERT_EQ(serving->retired().size(), 1u);
  EXPECT_EQ(serving->retired()[0].fingerprint, gen1);
  ASSERT_EQ(serving->authority().generations().size(), 2u);
  const crypto::Certificate leaf = IssueDevice(*serving, "dev-after");
  EXPECT_TRUE(leaf.IsIssuedBy(rotated->cert));
  EXPECT_EQ(serving->store().FindBySerial(leaf.SerialHex()).value().issuer_fingerprint,
            rotated->cert.Sha256Fingerprint());
}

TEST_F(RotationTest, AReloadThatCannotReadTheNewKeyChangesNothing) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  auto serving = Open();
  const std::string gen1 = serving->intermediate().Sha256Fingerprint();
  auto other = Open();
  const crypto::PrivateKey root_key =
      crypto::LoadPrivateKeyFile(other->paths().root_key, nullptr).value();
  ASSERT_THAT(RotateIntermediate(*other, root_key, RotateOptions{}, clock_, rng_), IsOk());
  // The new generation's key is not what it should be (a passphrase serve was not given, here
  // a damaged file): serve keeps issuing from the generation it has.
  ASSERT_THAT(WriteFileAtomic(FilesOf(Home(), 2).key, "not a key", kPrivateKeyMode), IsOk());
  EXPECT_THAT(serving->ReloadIntermediates(nullptr), ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(serving->generation(), 1);
  EXPECT_EQ(serving->intermediate().Sha256Fingerprint(), gen1);
  EXPECT_TRUE(serving->retired().empty());
  EXPECT_TRUE(IssueDevice(*serving, "dev-still").IsIssuedBy(serving->intermediate()));
}

TEST_F(RotationTest, AKeyThatIsNotTheRootsIsRefusedAndNothingIsWritten) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  auto home = Open();
  const crypto::PrivateKey stranger =
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  EXPECT_THAT(RotateIntermediate(*home, stranger, RotateOptions{}, clock_, rng_),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_FALSE(FileExists(IntermediatesDir(Home()) + "/2"));
  EXPECT_EQ(Open()->generation(), 1);
}

TEST_F(RotationTest, TheOfflineCeremonyKeepsTheRootKeyOutOfTheHome) {
  InitOptions init;
  init.offline_root = Path("offline");
  init.permitted_dns = {"example.com"};
  ASSERT_THAT(InitCa(Home(), init, clock_, rng_), IsOk());
  EXPECT_FALSE(FileExists(CaPaths::In(Home()).root_key));
  auto home = Open(false);
  // Online: the key and its request.
  auto csr = PrepareRotation(*home, RotateOptions{});
  ASSERT_THAT(csr, IsOk());
  EXPECT_THAT(PrepareRotation(*home, RotateOptions{}), ErrorIs(Code::kAlreadyExists));
  // Offline: signed with the root directory alone; without the name constraints it is refused
  // when installed.
  const RootDir dir = RootDir::In(Path("offline"));
  const Root root = LoadRoot(dir, nullptr, "test").value();
  const auto again = [&] { return crypto::Csr::FromDer(csr->ToDer()).value(); };
  auto unconstrained = SignIntermediate({again(), 700, {}}, root.cert, root.key, clock_, rng_);
  ASSERT_THAT(unconstrained, IsOk());
  EXPECT_THAT(InstallRotation(*home, *unconstrained, nullptr, clock_),
              ErrorIs(Code::kInvalidArgument));
  auto signed_cert =
      SignIntermediate({again(), 700, {"example.com"}}, root.cert, root.key, clock_, rng_);
  ASSERT_THAT(signed_cert, IsOk());
  ASSERT_THAT(InstallRotation(*home, *signed_cert, nullptr, clock_), IsOk());
  EXPECT_EQ(Open()->generation(), 2);
  // A request of another CA is refused by the offline root.
  EXPECT_THAT(SignIntermediate({MakeCsr("other Intermediate CA G2"), 700, {}}, root.cert, root.key,
                               clock_, rng_),
              ErrorIs(Code::kInvalidArgument));
  // Without the root key the root's CRL says where it is.
  EXPECT_THAT(LoadRootKey(RootDir::In(Home()), nullptr, "anchor crl --root"),
              ErrorIs(Code::kFailedPrecondition));
  // The root's CRL revokes the retired generation and keeps it on the next one.
  const auto retired = crypto::LoadCertificateFile(FilesOf(Home(), 1).cert).value();
  auto first = NextRootCrl(dir, root, {retired}, 4, clock_, 30);
  ASSERT_THAT(first, IsOk());
  auto second = NextRootCrl(dir, root, {}, 4, clock_, 30);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->Entries().size(), 1u);
  EXPECT_GT(second->Number(), first->Number());
}

TEST_F(RotationTest, ACopyThatCannotBeRefreshedAfterTheSwitchLeavesTheNewGenerationInPlace) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  const crypto::PrivateKey root_key =
      crypto::LoadPrivateKeyFile(CaPaths::In(Home()).root_key, nullptr).value();
  ASSERT_THAT(RotateIntermediate(*Open(), root_key, RotateOptions{}, clock_, rng_), IsOk());
  auto home = Open();
  // The home's intermediate.key cannot be replaced (a directory stands in its place: as root,
  // file modes would not stop the write), so the refresh after the next switch fails.
  const std::string top_key = home->paths().intermediate_key;
  ASSERT_TRUE(std::filesystem::remove(top_key));
  std::filesystem::create_directory(top_key);
  auto rotated = RotateIntermediate(*home, root_key, RotateOptions{}, clock_, rng_);
  ASSERT_THAT(rotated, IsOk());
  // `current` names generation 3, and its directory is still there: the home opens with it.
  EXPECT_EQ(CurrentGeneration(Home()).value(), 3);
  EXPECT_TRUE(FileExists(FilesOf(Home(), 3).key));
  EXPECT_TRUE(FileExists(FilesOf(Home(), 3).cert));
  std::filesystem::remove(top_key);
  auto after = Open();
  EXPECT_EQ(after->generation(), 3);
  EXPECT_EQ(after->intermediate().Sha256Fingerprint(), rotated->cert.Sha256Fingerprint());
  EXPECT_TRUE(FileExists(top_key));  // Open refreshed the copy once it could
}

TEST_F(RotationTest, RemoveGenerationNeverTakesTheOneCurrentNames) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  auto home = Open();
  const crypto::PrivateKey root_key =
      crypto::LoadPrivateKeyFile(home->paths().root_key, nullptr).value();
  ASSERT_THAT(RotateIntermediate(*home, root_key, RotateOptions{}, clock_, rng_), IsOk());
  RemoveGeneration(Home(), 2);
  EXPECT_TRUE(FileExists(FilesOf(Home(), 2).cert));
  EXPECT_EQ(Open()->generation(), 2);
}

TEST_F(RotationTest, AFailedInstallKeepsThePendingKeyForTheSignedCertificate) {
  InitOptions init;
  init.offline_root = Path("offline");
  ASSERT_THAT(InitCa(Home(), init, clock_, rng_), IsOk());
  auto home = Open(false);
  auto csr = PrepareRotation(*home, RotateOptions{});
  ASSERT_THAT(csr, IsOk());
  const Root root = LoadRoot(RootDir::In(Path("offline")), nullptr, "test").value();
  auto signed_cert =
      SignIntermediate({std::move(*csr), 700, {}}, root.cert, root.key, clock_, rng_);
  ASSERT_THAT(signed_cert, IsOk());
  // The switch cannot happen: intermediates/1 (where generation 1 is copied the first time)
  // is taken by a file.
  const std::string first = FilesOf(Home(), 1).dir;
  ASSERT_THAT(WriteFileAtomic(first, "in the way", 0600), IsOk());
  EXPECT_FALSE(InstallRotation(*home, *signed_cert, nullptr, clock_));
  // The key the offline root certified is kept, and the generation is pending again.
  EXPECT_TRUE(FileExists(FilesOf(Home(), 2).key));
  EXPECT_FALSE(FileExists(FilesOf(Home(), 2).cert));
  EXPECT_EQ(PendingGeneration(Home()).value(), std::optional<int>(2));
  EXPECT_EQ(Open(false)->generation(), 1);
  // Once the way is clear, the same signed certificate installs: no second ceremony.
  std::filesystem::remove(first);
  ASSERT_THAT(InstallRotation(*home, *signed_cert, nullptr, clock_), IsOk());
  EXPECT_EQ(Open()->generation(), 2);
}

TEST(GenerationPathsTest, EachGenerationHasOneStablePath) {
  EXPECT_EQ(ca::CrlPath(1), "/crl");
  EXPECT_EQ(ca::CrlPath(2), "/crl/2");
  EXPECT_EQ(ca::CaIssuersPath(1), "/intermediate.crt");
  EXPECT_EQ(ca::CaIssuersPath(12), "/intermediate/12.crt");
  for (int n : {1, 2, 37}) {
    EXPECT_EQ(ca::GenerationOfCrlPath(ca::CrlPath(n)), n);
    EXPECT_EQ(ca::GenerationOfCaIssuersPath(ca::CaIssuersPath(n)), n);
  }
  for (const char* other : {"/crl/1", "/crl/02", "/crl/", "/crl/2x", "/crl/-2", "/crls"}) {
    EXPECT_EQ(ca::GenerationOfCrlPath(other), std::nullopt) << other;
  }
  for (const char* other : {"/intermediate/1.crt", "/intermediate/2", "/intermediate/.crt"}) {
    EXPECT_EQ(ca::GenerationOfCaIssuersPath(other), std::nullopt) << other;
  }
}

}  // namespace
}  // namespace anchor::home
