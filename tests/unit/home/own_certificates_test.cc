// SPDX-License-Identifier: Apache-2.0
// Tests of the CA's own certificates: when each is due, and issuing the next one.
#include "home/own_certificates.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/file_io.h"
#include "crypto/key_file.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::home {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
namespace fs = std::filesystem;

const Clock::time_point kT0 = anchor::testing::kReferenceTime;

TEST(RenewalDueTest, TwoThirdsOfAShortLifetime) {
  // A 2-minute certificate as IssuancePolicy makes it: notBefore backdated a minute.
  // Two thirds of the 2 minutes from issuance (kT0), not of the 3 from notBefore.
  EXPECT_EQ(RenewalDue(kT0 - minutes(1), kT0 + minutes(2)), kT0 + seconds(80));
}

TEST(RenewalDueTest, AOneMinuteCertificateIsRenewedFortySecondsAfterIssue) {
  // [profiles.server] default_minutes = 1: notBefore kT0 - 60 s, notAfter kT0 + 60 s.
  EXPECT_EQ(RenewalDue(kT0 - minutes(1), kT0 + minutes(1)), kT0 + seconds(40));
}

TEST(RenewalDueTest, TwoThirdsOfAYear) {
  const auto due = RenewalDue(kT0, kT0 + hours(24 * 397));
  EXPECT_EQ(due, kT0 + seconds(60 + (397 * 86400 - 60) * 2 / 3));
  EXPECT_LT(due, kT0 + hours(24 * 397));
}

TEST(RenewalDueTest, RoundsDownToTheSecond) {
  EXPECT_EQ(RenewalDue(kT0, kT0 + seconds(10)), kT0 + seconds(6));  // 6.67 s
}

TEST(RenewalDueTest, AnInvertedValidityIsDueAtOnce) {
  EXPECT_EQ(RenewalDue(kT0, kT0), kT0);
  EXPECT_EQ(RenewalDue(kT0, kT0 - hours(1)), kT0);
}

TEST(RetryDelayTest, DoublesFromTenSecondsToAnHour) {
  const auto year = hours(24 * 365);
  EXPECT_EQ(RetryDelay(1, year), seconds(10));
  EXPECT_EQ(RetryDelay(2, year), seconds(20));
  EXPECT_EQ(RetryDelay(3, year), seconds(40));
  EXPECT_EQ(RetryDelay(10, year), seconds(3600));
  EXPECT_EQ(RetryDelay(1000, year), seconds(3600));
}

TEST(RetryDelayTest, NeverBeyondATenthOfWhatIsLeft) {
  EXPECT_EQ(RetryDelay(5, minutes(1)), seconds(6));
  EXPECT_EQ(RetryDelay(1, seconds(3)), seconds(1));    // at least a second
  EXPECT_EQ(RetryDelay(1, -seconds(30)), seconds(1));  // already expired: keep trying
}

crypto::GeneralName Dns(const char* v) { return {crypto::GeneralName::Kind::kDns, v}; }
crypto::GeneralName Ip(const char* v) { return {crypto::GeneralName::Kind::kIp, v}; }

TEST(WithServerNamesTest, AddsToTheCurrentNamesOnce) {
  const ca::NameRequest current{"localhost", {Dns("localhost"), Ip("127.0.0.1")}};
  auto out = WithServerNames(current, {Dns("ca.example.net"), Dns("localhost")}, false);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->common_name, "localhost");
  EXPECT_EQ(out->sans, (std::vector<crypto::GeneralName>{Dns("localhost"), Ip("127.0.0.1"),
                                                         Dns("ca.example.net")}));
}

TEST(WithServerNamesTest, ReplaceKeepsOnlyTheGivenNamesAndRenamesTheCn) {
  const ca::NameRequest current{"localhost", {Dns("localhost"), Ip("127.0.0.1")}};
  auto out = WithServerNames(current, {Ip("10.0.0.1"), Dns("ca.example.net")}, true);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->common_name, "ca.example.net");  // the first DNS name, not the first name
  EXPECT_EQ(out->sans, (std::vector<crypto::GeneralName>{Ip("10.0.0.1"), Dns("ca.example.net")}));
}

TEST(WithServerNamesTest, ReplaceWithNothingIsRefused) {
  const ca::NameRequest current{"localhost", {Dns("localhost")}};
  EXPECT_THAT(WithServerNames(current, {}, true), ErrorIs(Code::kInvalidArgument));
}

TEST(WithServerNamesTest, MoreThanAHundredNamesAreRefused) {
  std::vector<crypto::GeneralName> many;
  for (int i = 0; i < 100; ++i) {
    many.push_back(Dns(("h" + std::to_string(i) + ".example.com").c_str()));
  }
  const ca::NameRequest current{"localhost", {Dns("localhost")}};
  EXPECT_THAT(WithServerNames(current, many, /*replace=*/true), IsOk());
  EXPECT_THAT(WithServerNames(current, many, /*replace=*/false), ErrorIs(Code::kInvalidArgument));
}

TEST(ServerCertificateDaysTest, MinutesWhenTheProfileSetsThemElseMaxDays) {
  ca::CaConfig config = ca::CaConfig::Defaults();
  EXPECT_EQ(ServerCertificateDays(config), config.PolicyFor(ca::Profile::kServer).max_days);
  config.profiles[ca::Profile::kServer].default_minutes = 2;
  EXPECT_EQ(ServerCertificateDays(config), std::nullopt);
}

class OwnCertificatesTest : public anchor::testing::TempDirTest {
 protected:
  void Init(InitOptions options = {}) {
    ASSERT_THAT(InitCa(Path("ca"), options, clock_, rng_), IsOk());
    auto opened = CaHome::Open(Path("ca"), nullptr, true, clock_, rng_);
    ASSERT_THAT(opened, IsOk());
    home_ = std::move(opened).value();
  }
  const CaPaths& paths() const { return home_->paths(); }
  FileLock Held() const { return LockOwnCertificates(paths()).value(); }

  FixedClock clock_{kT0};
  anchor::testing::TestRng rng_{11};
  std::unique_ptr<CaHome> home_;
};

TEST_F(OwnCertificatesTest, IssuesAServerCertificateAndReplacesBothFiles) {
  Init();
  const crypto::Certificate before = crypto::LoadCertificateFile(paths().server_crt).value();
  const int64_t rows = home_->store().CountCertificates().value();
  clock_.Advance(hours(24));
  auto names = WithServerNames(ServerNamesOf(before), {Dns("ca.example.net")}, false);
  ASSERT_THAT(names, IsOk());
  auto issued = IssueServerCertificate(Held(), home_->authority(), paths(), *names, std::nullopt);
  ASSERT_THAT(issued, IsOk());
  EXPECT_NE(issued->SerialHex(), before.SerialHex());
  EXPECT_EQ(home_->store().CountCertificates().value(), rows + 1);  // recorded
  // The files hold the new certificate (and the intermediate) and its new key, 0600.
  auto chain = crypto::Certificate::ParseAll(ReadFile(paths().server_crt).value());
  ASSERT_THAT(chain, IsOk());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0].SerialHex(), issued->SerialHex());
  EXPECT_EQ((*chain)[1].SerialHex(), home_->intermediate().SerialHex());
  auto key = crypto::LoadPrivateKeyFile(paths().server_key, nullptr);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Public().Equals(issued->GetPublicKey()));
  EXPECT_FALSE(key->Public().Equals(before.GetPublicKey()));
  EXPECT_EQ(fs::status(paths().server_key).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(issued->SubjectAltNames(), names->sans);
  // The profile's default validity (default_days 90 unless asked), from now.
  EXPECT_EQ(issued->NotAfter(), clock_.Now() + hours(24 * 90));
  EXPECT_FALSE(fs::exists(paths().server_crt + kStagedSuffix));
}

TEST_F(OwnCertificatesTest, ARefusedNameWritesNothingAndRecordsNothing) {
  InitOptions options;
  options.permitted_dns = {"example.com"};
  options.server_sans = {"dns:ca.example.com"};
  Init(options);
  const std::string crt = ReadFile(paths().server_crt).value();
  const std::string key = ReadFile(paths().server_key).value();
  const int64_t rows = home_->store().CountCertificates().value();
  const crypto::Certificate before = crypto::Certificate::ParseAll(crt).value()[0];
  auto names = WithServerNames(ServerNamesOf(before), {Dns("ca.example.org")}, false);
  ASSERT_THAT(names, IsOk());
  EXPECT_THAT(IssueServerCertificate(Held(), home_->authority(), paths(), *names, std::nullopt),
              ErrorIs(Code::kPermissionDenied));
  EXPECT_EQ(ReadFile(paths().server_crt).value(), crt);
  EXPECT_EQ(ReadFile(paths().server_key).value(), key);
  EXPECT_EQ(home_->store().CountCertificates().value(), rows);
}

TEST_F(OwnCertificatesTest, RenewsTheOcspSignerForTheSameLifetime) {
  Init();
  const crypto::PrivateKey first_key =
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  auto first = home_->authority().IssueOcspSigner(first_key.Public(), 7);
  ASSERT_THAT(first, IsOk());
  clock_.Advance(hours(24 * 5));  // past two thirds of 7 days
  EXPECT_GE(clock_.Now(), RenewalDue(first->NotBefore(), first->NotAfter()));
  auto renewed = RenewOcspSigner(Held(), home_->authority(), paths(), *first);
  ASSERT_THAT(renewed, IsOk());
  EXPECT_NE(renewed->cert.SerialHex(), first->SerialHex());
  EXPECT_EQ(renewed->cert.NotAfter(), clock_.Now() + hours(24 * 7));
  // What `anchor serve` and `anchor ocsp respond` load is the new signer.
  auto loaded = LoadOcspSigner(*home_, clock_.Now());
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->cert.SerialHex(), renewed->cert.SerialHex());
  EXPECT_EQ(fs::status(paths().ocsp_key).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(OwnCertificatesTest, AReplacementCutBeforeAnyRenameIsUndone) {
  Init();
  const std::string crt = ReadFile(paths().server_crt).value();
  const std::string key = ReadFile(paths().server_key).value();
  ASSERT_THAT(WriteFileAtomic(paths().server_key + kStagedSuffix, "new key", kPrivateKeyMode),
              IsOk());
  ASSERT_THAT(WriteFileAtomic(paths().server_crt + kStagedSuffix, "new cert", kPublicFileMode),
              IsOk());
  ASSERT_THAT(FinishInterruptedReplace(Held(), paths().server_key, paths().server_crt), IsOk());
  EXPECT_EQ(ReadFile(paths().server_crt).value(), crt);
  EXPECT_EQ(ReadFile(paths().server_key).value(), key);
  EXPECT_FALSE(fs::exists(paths().server_key + kStagedSuffix));
  EXPECT_FALSE(fs::exists(paths().server_crt + kStagedSuffix));
}

TEST_F(OwnCertificatesTest, AReplacementCutAfterTheKeyIsFinished) {
  Init();
  ASSERT_THAT(WriteFileAtomic(paths().server_key, "the new key", kPrivateKeyMode), IsOk());
  ASSERT_THAT(WriteFileAtomic(paths().server_crt + kStagedSuffix, "its cert", kPublicFileMode),
              IsOk());
  ASSERT_THAT(FinishInterruptedReplace(Held(), paths().server_key, paths().server_crt), IsOk());
  EXPECT_EQ(ReadFile(paths().server_crt).value(), "its cert");
  EXPECT_EQ(ReadFile(paths().server_key).value(), "the new key");
  EXPECT_FALSE(fs::exists(paths().server_crt + kStagedSuffix));
}

TEST_F(OwnCertificatesTest, NothingStagedChangesNothing) {
  Init();
  const std::string crt = ReadFile(paths().server_crt).value();
  ASSERT_THAT(FinishInterruptedReplace(Held(), paths().server_key, paths().server_crt), IsOk());
  EXPECT_EQ(ReadFile(paths().server_crt).value(), crt);
}

TEST_F(OwnCertificatesTest, TheServerCertificateOfInitVerifiesUntilItExpires) {
  Init();
  bool expired = true;
  EXPECT_THAT(CheckServerCertificate(paths().server_crt, home_->root(), {home_->intermediate()},
                                     clock_.Now(), &expired),
              IsOk());
  EXPECT_FALSE(expired);
  const crypto::Certificate served = crypto::LoadCertificateFile(paths().server_crt).value();
  EXPECT_THAT(CheckServerCertificate(paths().server_crt, home_->root(), {home_->intermediate()},
                                     served.NotAfter() + hours(1), &expired),
              ErrorIs(Code::kFailedPrecondition));
  EXPECT_TRUE(expired);  // serve renews it at once rather than refusing to start
}

TEST_F(OwnCertificatesTest, AServerCertificateOfAnotherCaIsRefused) {
  Init();
  ASSERT_THAT(InitCa(Path("other"), {}, clock_, rng_), IsOk());
  const std::string other = Path("other") + "/server.crt";
  bool expired = true;
  auto checked =
      CheckServerCertificate(other, home_->root(), {home_->intermediate()}, clock_.Now(), &expired);
  ASSERT_THAT(checked, ErrorIs(Code::kFailedPrecondition));
  EXPECT_FALSE(expired);
  EXPECT_NE(checked.error().message().find("anchor ca server-cert"), std::string::npos);
}

TEST_F(OwnCertificatesTest, ALeafAloneOfAnotherCaIsRefused) {
  Init();
  ASSERT_THAT(InitCa(Path("other"), {}, clock_, rng_), IsOk());
  const std::string chain = ReadFile(Path("other") + "/server.crt").value();
  const std::string leaf = crypto::Certificate::ParseAll(chain).value()[0].ToPem();
  ASSERT_THAT(WriteFileAtomic(Path("leaf.crt"), leaf, kPublicFileMode), IsOk());
  EXPECT_THAT(CheckServerCertificate(Path("leaf.crt"), home_->root(), {home_->intermediate()},
                                     clock_.Now()),
              ErrorIs(Code::kFailedPrecondition));
}

TEST_F(OwnCertificatesTest, AnOcspSignerWithoutOcspSigningIsRefused) {
  Init();
  // The server certificate is issued by the intermediate and valid, but is no OCSP signer.
  ASSERT_THAT(
      WriteFileAtomic(paths().ocsp_crt, ReadFile(paths().server_crt).value(), kPublicFileMode),
      IsOk());
  ASSERT_THAT(
      WriteFileAtomic(paths().ocsp_key, ReadFile(paths().server_key).value(), kPrivateKeyMode),
      IsOk());
  auto loaded = LoadOcspSigner(*home_, clock_.Now());
  ASSERT_THAT(loaded, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(loaded.error().message().find("OCSPSigning"), std::string::npos);
}

TEST_F(OwnCertificatesTest, AKeyReadableByOthersIsNamedWithTheFix) {
  Init();
  EXPECT_TRUE(KeyFileWarnings(paths()).empty());
  fs::permissions(paths().server_key, fs::perms::owner_read | fs::perms::owner_write |
                                          fs::perms::group_read | fs::perms::others_read);
  const std::vector<std::string> warnings = KeyFileWarnings(paths());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(paths().server_key), std::string::npos);
  EXPECT_NE(warnings[0].find("0644"), std::string::npos);
  EXPECT_NE(warnings[0].find("chmod 600"), std::string::npos);
}

TEST_F(OwnCertificatesTest, AGenerationsKeyReadableByOthersIsNamedToo) {
  Init();
  // After a rotation the signing keys live in intermediates/N/: they are checked like the rest.
  const std::string dir = paths().home + "/intermediates/2";
  ASSERT_THAT(MakeDirectories(dir, 0700), IsOk());
  ASSERT_THAT(WriteFileAtomic(dir + "/intermediate.key", "a key", 0644), IsOk());
  const std::vector<std::string> warnings = KeyFileWarnings(paths());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(dir + "/intermediate.key"), std::string::npos);
  EXPECT_NE(warnings[0].find("0644"), std::string::npos);
}

TEST_F(OwnCertificatesTest, TheLockIsExclusiveBetweenHolders) {
  Init();
  std::optional<FileLock> first = Held();
  std::atomic<bool> second_held{false};
  std::thread other([&] {
    FileLock second = Held();  // waits for `first`
    second_held = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(second_held.load());  // still waiting: the lock is held
  first.reset();
  other.join();
  EXPECT_TRUE(second_held.load());
}

}  // namespace
}  // namespace anchor::home
