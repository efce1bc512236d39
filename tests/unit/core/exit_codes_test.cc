// SPDX-License-Identifier: Apache-2.0
// The one exit-code table: `anchor` exits 1 on every failure, as it always has; the agent tells
// a failure a later attempt may outlive (75, EX_TEMPFAIL) from one that needs a person (1).
#include "core/exit_codes.h"

#include <gtest/gtest.h>

#include <set>

namespace anchor {
namespace {

constexpr Code kAllCodes[] = {Code::kOk,
                              Code::kInvalidArgument,
                              Code::kUnauthenticated,
                              Code::kPermissionDenied,
                              Code::kNotFound,
                              Code::kAlreadyExists,
                              Code::kFailedPrecondition,
                              Code::kAborted,
                              Code::kUnavailable,
                              Code::kUnimplemented,
                              Code::kInternal};

TEST(ExitCodesTest, EveryCodeHasExactlyOneRow) {
  std::set<Code> seen;
  for (const ExitCodeRow& row : kExitCodes) {
    EXPECT_TRUE(seen.insert(row.code).second) << CodeName(row.code) << " has two rows";
  }
  for (const Code code : kAllCodes) {
    EXPECT_EQ(seen.count(code), 1u) << CodeName(code) << " has no row";
  }
}

TEST(ExitCodesTest, AnchorExitsOneOnEveryFailure) {
  for (const Code code : kAllCodes) {
    EXPECT_EQ(ExitCodeFor(Error(code, "x"), Program::kAnchor),
              code == Code::kOk ? kExitOk : kExitFailure)
        << CodeName(code);
  }
}

TEST(ExitCodesTest, TheAgentExitsTempFailOnlyForWhatALaterAttemptMayOutlive) {
  for (const Code code : kAllCodes) {
    const bool temporary =
        code == Code::kUnavailable || code == Code::kInternal || code == Code::kAborted;
    const int expected = code == Code::kOk ? kExitOk : temporary ? kExitTempFail : kExitFailure;
    EXPECT_EQ(ExitCodeFor(Error(code, "x"), Program::kAgent), expected) << CodeName(code);
    EXPECT_EQ(IsTemporary(Error(code, "x")), temporary) << CodeName(code);
  }
}

TEST(ExitCodesTest, TheCodesAreTheOnesUsersSee) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitTempFail, 75);
}

}  // namespace
}  // namespace anchor
