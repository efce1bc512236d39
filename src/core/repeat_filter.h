// SPDX-License-Identifier: Apache-2.0
// File: repeat_filter.h: rate limiting of repeated log lines ("N similar lines suppressed").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anchor {

// RepeatFilter decides which of a program's similar log lines are written. Lines are similar
// when the caller gives them the same `key` (e.g. a route and a status; the variable parts,
// such as a time or a request id, are left out of it). In each `window`, the first `burst`
// lines of a key are written and the rest counted; the count is said once, in a summary, when
// the key's window ends. A storm of bad requests thus writes at most `burst` lines per key per
// window plus one summary, and at most `max_keys` keys are tracked (the oldest gives way, its
// count said). Thread-safe: one mutex, held only around the map.
class RepeatFilter final {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Options {
    size_t burst = 5;
    std::chrono::seconds window{10};
    size_t max_keys = 256;
  };
  // Summary is what was suppressed of one key: say "N similar lines suppressed (KEY)".
  struct Summary {
    std::string key;
    uint64_t suppressed = 0;
  };
  // Verdict: whether to write this line, and the summaries to write before it (windows that
  // ended: this key's, and any other key's whose window is over).
  struct Verdict {
    bool write = true;
    std::vector<Summary> summaries;
  };

  RepeatFilter() : RepeatFilter(Options{}) {}
  explicit RepeatFilter(Options options) : options_(options) {}

  // Admit counts one line of `key` at `now`.
  Verdict Admit(std::string_view key, TimePoint now);
  // Flush returns every pending summary (at shutdown, or from a periodic timer) and forgets the
  // keys whose window has ended at `now`.
  std::vector<Summary> Flush(TimePoint now);
  // Ended returns the summaries of the windows that have ended at `now` and forgets them (from
  // a periodic timer: a storm that stopped is summed up without waiting for the next line).
  std::vector<Summary> Ended(TimePoint now);

 private:
  struct Window {
    TimePoint start;
    size_t written = 0;
    uint64_t suppressed = 0;
  };
  // TakeEnded moves the summaries of windows that ended at `now` into `out` and forgets them.
  void TakeEnded(TimePoint now, std::vector<Summary>& out);

  const Options options_;
  std::mutex mu_;
  std::map<std::string, Window, std::less<>> windows_;
  TimePoint last_sweep_{};
};

}  // namespace anchor
