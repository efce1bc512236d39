// SPDX-License-Identifier: Apache-2.0
#include "home/ca_home.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ca/issuance_check.h"
#include "core/file_io.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::home {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

class CaHomeTest : public anchor::testing::TempDirTest {
 protected:
  std::string Home() const { return Path("ca"); }
  FixedClock clock_{anchor::testing::kReferenceTime};
  anchor::testing::TestRng rng_{7};
};

TEST_F(CaHomeTest, InitCreatesEverythingAndOpens) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  const CaPaths p = CaPaths::In(Home());
  for (const auto& f : {p.config, p.db, p.root_crt, p.root_key, p.intermediate_crt,
                        p.intermediate_key, p.server_crt, p.server_key, p.admin_crt, p.admin_key}) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  }
  EXPECT_EQ(std::filesystem::status(p.root_key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto home = CaHome::Open(Home(), nullptr, true, clock_, rng_);
  ASSERT_THAT(home, IsOk());
  EXPECT_EQ((*home)->store().CountCertificates().value(), 2);  // server + admin
  // Only the CA directory is left beside it: no staging directory.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(CaHomeTest, InitRefusesAnExistingCaAndLeavesItAlone) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  const auto before = ReadFile(CaPaths::In(Home()).root_crt).value();
  EXPECT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), ErrorIs(Code::kAlreadyExists));
  EXPECT_EQ(ReadFile(CaPaths::In(Home()).root_crt).value(), before);
}

TEST_F(CaHomeTest, UnderNameConstraintsEveryCertificateOfInitStaysWithin) {
  InitOptions o;
  o.name = "ca.example.com";  // a name that reads as DNS: the admin CN must not break the rule
  o.permitted_dns = {"Example.COM"};
  std::vector<std::string> notes;
  ASSERT_THAT(InitCa(Home(), o, clock_, rng_, &notes), IsOk());
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("leaves out localhost"), std::string::npos);
  EXPECT_NE(notes[1].find("named ca.example.com until you name it"), std::string::npos);
  auto home = CaHome::Open(Home(), nullptr, false, clock_, rng_);
  ASSERT_THAT(home, IsOk());
  const std::vector<crypto::Certificate> issuers = {(*home)->intermediate(), (*home)->root()};
  const auto nc = (*home)->intermediate().GetNameConstraints();
  ASSERT_TRUE(nc.has_value());
  EXPECT_EQ(nc->permitted[0].value, "example.com");  // normalised
  for (const std::string& f : {(*home)->paths().server_crt, (*home)->paths().admin_crt}) {
    const auto cert = crypto::LoadCertificateFile(f).value();
    const ca::Report r =
        ca::CheckBeforeIssue(cert, ca::IssuanceCheck{issuers, std::nullopt, clock_.Now()});
    EXPECT_TRUE(r.Ok()) << f << ": " << (r.findings().empty() ? "" : r.findings()[0].detail);
  }
  const auto server = crypto::LoadCertificateFile((*home)->paths().server_crt).value();
  // A DNS name within the constraints: GnuTLS holds a server certificate without one to them.
  EXPECT_EQ(server.CommonName(), "ca.example.com");
  EXPECT_EQ(server.SubjectAltNames().front().ToString(), "dns:ca.example.com");

  // A server name the constraints exclude is refused, and nothing is left behind.
  InitOptions outside = o;
  outside.server_sans = {"dns:ca.example.org"};
  const std::string other = Path("other");
  const Status st = InitCa(other, outside, clock_, rng_);
  ASSERT_THAT(st, ErrorIs(Code::kPermissionDenied));
  EXPECT_NE(st.error().message().find("ca.example.org is outside"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(other));
  InitOptions bad_permit;
  bad_permit.permitted_dns = {"exa_mple.com"};
  EXPECT_THAT(InitCa(other, bad_permit, clock_, rng_), ErrorIs(Code::kInvalidArgument));
}

TEST_F(CaHomeTest, BadOptionsLeaveNothing) {
  InitOptions bad;
  bad.public_url = "ftp://nope";
  EXPECT_THAT(InitCa(Home(), bad, clock_, rng_), ErrorIs(Code::kInvalidArgument));
  EXPECT_FALSE(std::filesystem::exists(Home()));
  EXPECT_THAT(CaHome::Open(Home(), nullptr, false, clock_, rng_),
              ErrorIs(Code::kFailedPrecondition));
}

// [server] bootstrap_ca names the manufacturer's root; anchor's own root, intermediate or
// anything they issued would let every anchor certificate, revoked ones too, enroll as a factory
// certificate, and an intermediate alone cannot complete a TLS chain: all refused, naming why.
TEST_F(CaHomeTest, FactoryTrustIsAManufacturersRootAndNeverThisCasOwn) {
  ASSERT_THAT(InitCa(Home(), InitOptions{}, clock_, rng_), IsOk());
  const CaPaths p = CaPaths::In(Home());
  const anchor::testing::TestFactory factory(clock_.Now());
  ASSERT_THAT(WriteFileAtomic(Path("factory.pem"), factory.root().ToPem(), 0644), IsOk());
  const std::string own_root = ReadFile(p.root_crt).value();
  ASSERT_THAT(WriteFileAtomic(Path("bundle.pem"), factory.root().ToPem() + own_root, 0644), IsOk());
  const std::string config = ReadFile(p.config).value();
  const auto trust_with = [&](const std::string& file) {
    std::string edited = config;
    const std::string unset = "bootstrap_ca = \"\"";
    edited.replace(edited.find(unset), unset.size(), "bootstrap_ca = \"" + file + "\"");
    EXPECT_THAT(WriteFileAtomic(p.config, edited, 0644), IsOk());
    auto home = CaHome::Open(Home(), nullptr, false, clock_, rng_);
    EXPECT_THAT(home, IsOk());
    return LoadFactoryTrust(**home);
  };
  const auto trusted = trust_with(Path("factory.pem"));
  ASSERT_THAT(trusted, IsOk());
  EXPECT_EQ(trusted->roots.size(), 1u);
  for (const std::string& file :
       {p.root_crt, p.intermediate_crt, p.server_crt, Path("bundle.pem")}) {
    const auto refused = trust_with(file);
    ASSERT_THAT(refused, ErrorIs(Code::kInvalidArgument)) << file;
    EXPECT_NE(refused.error().message().find(file), std::string::npos) << refused.error().message();
  }
}

}  // namespace
}  // namespace anchor::home
