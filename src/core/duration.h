// SPDX-License-Identifier: Apache-2.0
// File: duration.h: durations as people write them ("90s", "30m", "1h30m", "7d", "2w"), read the
// same way everywhere a duration is taken: command-line flags, anchor.toml, the admin API.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor {

// kMaxDuration bounds every parsed duration (100 years): far beyond any certificate or token
// lifetime, and small enough that no sum of parts can overflow.
inline constexpr std::chrono::seconds kMaxDuration{100LL * 366 * 86400};

// ParseDuration reads one or more <number><unit> parts with no spaces, largest unit first, each
// unit at most once: units w (weeks), d (days), h, m (minutes), s. "90s", "90m", "1h30m", "7d",
// "1d12h", "2w". The result is positive and at most kMaxDuration. A bare number, an unknown or
// repeated unit, units out of order, zero or a sign is kInvalidArgument, whose message quotes
// `text` and shows the accepted forms.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// FormatDuration writes `d` in the form ParseDuration reads, largest units first ("1h30m",
// "7d", "0s"); ParseDuration(FormatDuration(d)) == d for every 0 < d <= kMaxDuration.
std::string FormatDuration(std::chrono::seconds d);

}  // namespace anchor
