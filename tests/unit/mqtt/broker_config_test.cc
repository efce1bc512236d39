// SPDX-License-Identifier: Apache-2.0
// The listeners' certificate files found in a Mosquitto configuration as Mosquitto reads it.
#include "plugins/mosquitto/broker_config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_io.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor::mqtt {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

class BrokerConfigTest : public anchor::testing::TempDirTest {};

TEST_F(BrokerConfigTest, FindsEveryCertfileThroughIncludeDirInNameOrder) {
  ASSERT_THAT(MakeDirectories(Path("conf.d"), 0755), IsOk());
  ASSERT_THAT(WriteFileAtomic(Path("mosquitto.conf"),
                              "# Debian's file\npid_file /run/mosquitto/mosquitto.pid\n"
                              "include_dir " +
                                  Path("conf.d") + "\n",
                              0644),
              IsOk());
  ASSERT_THAT(
      WriteFileAtomic(Path("conf.d/b.conf"), "listener 8884\n  certfile   /etc/b.crt  \n", 0644),
      IsOk());
  ASSERT_THAT(
      WriteFileAtomic(Path("conf.d/a.conf"),
                      "listener 8883\n#certfile /etc/commented.crt\ncertfile /etc/a.crt\n", 0644),
      IsOk());
  ASSERT_THAT(WriteFileAtomic(Path("conf.d/ignored.txt"), "certfile /etc/no.crt\n", 0644), IsOk());
  auto found = ListenerCertificates(Path("mosquitto.conf"));
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].path, "/etc/a.crt");
  EXPECT_EQ((*found)[0].where, "listener 8883 in " + Path("conf.d/a.conf") + ":3");
  EXPECT_EQ((*found)[1].path, "/etc/b.crt");
  EXPECT_EQ((*found)[1].where, "listener 8884 in " + Path("conf.d/b.conf") + ":2");
}

TEST_F(BrokerConfigTest, AMissingFileIsNamed) {
  auto found = ListenerCertificates(Path("none.conf"));
  ASSERT_THAT(found, ErrorIs(Code::kNotFound));
  EXPECT_NE(found.error().message().find(Path("none.conf")), std::string::npos);
}

TEST_F(BrokerConfigTest, AListenerWithoutTlsHasNoCertfile) {
  ASSERT_THAT(WriteFileAtomic(Path("m.conf"), "listener 1883\nallow_anonymous false\n", 0644),
              IsOk());
  auto found = ListenerCertificates(Path("m.conf"));
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->empty());
}

}  // namespace
}  // namespace anchor::mqtt
