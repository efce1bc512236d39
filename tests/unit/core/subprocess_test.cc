// SPDX-License-Identifier: Apache-2.0
#include "core/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "testlib/matchers.h"

namespace anchor {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using std::chrono::milliseconds;

TEST(SubprocessTest, RunsToItsEndWithOutputAndExitCode) {
  const auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->output, "out\nerr\n");
}

TEST(SubprocessTest, EnvironmentAndDirectoryAreApplied) {
  const auto r = RunCommand({"sh", "-c", "echo $ANCHOR_TEST_VALUE; pwd"}, milliseconds(5000),
                            {"ANCHOR_TEST_VALUE=42"}, "/");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->output, "42\n/\n");
}

TEST(SubprocessTest, AMissingProgramIsNamed) {
  const auto r = RunCommand({"anchor-no-such-program"}, milliseconds(1000));
  ASSERT_THAT(r, ErrorIs(Code::kNotFound));
  EXPECT_NE(r.error().message().find("anchor-no-such-program"), std::string::npos);
}

TEST(SubprocessTest, ACommandOverItsTimeIsKilled) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THAT(RunCommand({"sleep", "30"}, milliseconds(100)), ErrorIs(Code::kUnavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(SubprocessTest, StopEndsItAndTheDestructorReapsIt) {
  auto p = Subprocess::Start({{"sleep", "30"}, {}, "", ""});
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(p->Running());
  EXPECT_THAT(p->Wait(milliseconds(10)), ErrorIs(Code::kUnavailable));
  EXPECT_EQ(p->Stop(), 128 + SIGTERM);
  EXPECT_FALSE(p->Running());

  pid_t pid = 0;
  {
    auto q = Subprocess::Start({{"sleep", "30"}, {}, "", ""});
    ASSERT_THAT(q, IsOk());
    pid = q->pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);  // gone and reaped: no zombie keeps the PID
}

TEST(SubprocessTest, FindsProgramsInPath) {
  EXPECT_NE(FindProgram("sh"), "");
  EXPECT_EQ(FindProgram("anchor-no-such-program"), "");
}

}  // namespace
}  // namespace anchor
