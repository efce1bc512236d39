// SPDX-License-Identifier: Apache-2.0
// Durations as people write them: one parser for flags, anchor.toml and the admin API.
#include "core/duration.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor {
namespace {

using ::anchor::testing::ErrorIs;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, ReadsOneUnit) {
  EXPECT_EQ(ParseDuration("90s").value(), seconds(90));
  EXPECT_EQ(ParseDuration("90m").value(), minutes(90));
  EXPECT_EQ(ParseDuration("24h").value(), hours(24));
  EXPECT_EQ(ParseDuration("7d").value(), hours(24 * 7));
  EXPECT_EQ(ParseDuration("2w").value(), hours(24 * 14));
}

TEST(DurationTest, ReadsSeveralUnitsLargestFirst) {
  EXPECT_EQ(ParseDuration("1h30m").value(), minutes(90));
  EXPECT_EQ(ParseDuration("1d12h").value(), hours(36));
  EXPECT_EQ(ParseDuration("1w2d3h4m5s").value(),
            seconds(7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5));
  EXPECT_EQ(ParseDuration("0h30m").value(), minutes(30));
}

TEST(DurationTest, RefusesWhatIsNotADuration) {
  for (const char* text : {"", "90", "soon", "h", "1x", "-5m", "+5m", "1.5h", "30m1h", "1h1h",
                           "1h 30m", " 1h", "1h ", "0s", "0h0m", "1H", "5mm"}) {
    const auto parsed = ParseDuration(text);
    EXPECT_THAT(parsed, ErrorIs(Code::kInvalidArgument)) << "'" << text << "'";
    if (!parsed) {
      EXPECT_NE(parsed.error().message().find("1h30m"), std::string::npos)
          << "the message shows the accepted forms: " << parsed.error().message();
    }
  }
}

TEST(DurationTest, BoundedWithoutOverflow) {
  EXPECT_EQ(ParseDuration("36600d").value(), kMaxDuration);
  EXPECT_THAT(ParseDuration("36601d"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseDuration("36600d1s"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseDuration("99999999999999999999s"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseDuration("9223372036854775807w"), ErrorIs(Code::kInvalidArgument));
}

TEST(DurationTest, FormatRoundTrips) {
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(hours(24 * 7)), "7d");
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
  EXPECT_EQ(FormatDuration(seconds(86400 + 1)), "1d1s");
  for (const seconds d :
       {seconds(1), seconds(59), seconds(61), seconds(3600), seconds(90061), kMaxDuration}) {
    EXPECT_EQ(ParseDuration(FormatDuration(d)).value(), d) << FormatDuration(d);
  }
}

}  // namespace
}  // namespace anchor
