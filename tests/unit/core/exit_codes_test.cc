// SPDX-License-Identifier: Apache-2.0
// The one exit-code table: `anchor` exits 1 on every failure, as it always has; the agent tells
// a failure a later attempt may outlive (75, EX_TEMPFAIL) from one that needs a person (1).
#include "core/exit_codes.h"

#include <gtest/gtest.h>

#include <set>

namespace anchor {
namespace {

// kAllCodes (core/error.h) is what the tables are checked against: it must hold every code.
// CodeName's switch names every enumerator (-Wswitch says when one is missing), so each value
// that has a name must be in the list, once.
TEST(ExitCodesTest, AllCodesListsEveryCodeOnce) {
  std::set<Code> listed(std::begin(kAllCodes), std::end(kAllCodes));
  EXPECT_EQ(listed.size(), std::size(kAllCodes)) << "a code listed twice";
  for (int value = 0; value < 256; ++value) {
    const Code code = static_cast<Code>(value);
    EXPECT_EQ(CodeName(code) != "unknown", listed.count(code) == 1) << value;
  }
}

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
    // The transport's own refusals (413, 414, 415, 431) need a person like any bad input.
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
