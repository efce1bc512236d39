// SPDX-License-Identifier: Apache-2.0
// File: repeat_filter.cc: per-key windows of written and suppressed lines.
#include "core/repeat_filter.h"

#include <algorithm>

namespace anchor {

void RepeatFilter::TakeEnded(TimePoint now, std::vector<Summary>& out) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.start < options_.window) {
      ++it;
      continue;
    }
    if (it->second.suppressed > 0) {
      out.push_back({it->first, it->second.suppressed});
    }
    it = windows_.erase(it);
  }
}

RepeatFilter::Verdict RepeatFilter::Admit(std::string_view key, TimePoint now) {
  Verdict verdict;
  std::lock_guard lock(mu_);
  // Other keys' ended windows are swept at most once a second: a quiet key's count is said
  // within a second of the next line of any key.
  if (now - last_sweep_ >= std::chrono::seconds(1)) {
    last_sweep_ = now;
    TakeEnded(now, verdict.summaries);
  }
  auto it = windows_.find(key);
  if (it != windows_.end() && now - it->second.start >= options_.window) {
    if (it->second.suppressed > 0) {
      verdict.summaries.push_back({it->first, it->second.suppressed});
    }
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    if (windows_.size() >= options_.max_keys) {
      // The key whose window started first gives way, its count said.
      auto oldest = std::min_element(
          windows_.begin(), windows_.end(),
          [](const auto& a, const auto& b) { return a.second.start < b.second.start; });
      if (oldest->second.suppressed > 0) {
        verdict.summaries.push_back({oldest->first, oldest->second.suppressed});
      }
      windows_.erase(oldest);
    }
    it = windows_.emplace(std::string(key), Window{now}).first;
  }
  Window& w = it->second;
  if (w.written < options_.burst) {
    ++w.written;
  } else {
    ++w.suppressed;
    verdict.write = false;
  }
  return verdict;
}

std::vector<RepeatFilter::Summary> RepeatFilter::Ended(TimePoint now) {
  std::vector<Summary> out;
  std::lock_guard lock(mu_);
  TakeEnded(now, out);
  return out;
}

std::vector<RepeatFilter::Summary> RepeatFilter::Flush(TimePoint now) {
  std::vector<Summary> out;
  std::lock_guard lock(mu_);
  TakeEnded(now, out);
  for (auto& [key, w] : windows_) {
    if (w.suppressed > 0) {
      out.push_back({key, w.suppressed});
      w.suppressed = 0;
    }
  }
  return out;
}

}  // namespace anchor
