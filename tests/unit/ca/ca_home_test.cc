// SPDX-License-Identifier: Apache-2.0
#include "ca/ca_home.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/file_io.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::ca {
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

TEST_F(CaHomeTest, BadOptionsLeaveNothing) {
  InitOptions bad;
  bad.public_url = "ftp://nope";
  EXPECT_THAT(InitCa(Home(), bad, clock_, rng_), ErrorIs(Code::kInvalidArgument));
  EXPECT_FALSE(std::filesystem::exists(Home()));
  EXPECT_THAT(CaHome::Open(Home(), nullptr, false, clock_, rng_),
              ErrorIs(Code::kFailedPrecondition));
}

}  // namespace
}  // namespace anchor::ca
