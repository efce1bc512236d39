// SPDX-License-Identifier: Apache-2.0
// File: revocation_list.cc: the feed's pages, the revoked set and its cache file form.
#include "plugins/mosquitto/revocation_list.h"

#include <nlohmann/json.hpp>

namespace anchor::mqtt {
namespace {

Error BadFeed(const std::string& why) {
  return Error(Code::kInvalidArgument, "the revocation feed's answer is not valid: " + why);
}

}  // namespace

bool IsSerialHex(const std::string& s) {
  return !s.empty() && s.size() <= 40 &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Result<FeedPage> ParseFeedPage(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return BadFeed("not a JSON object");
  }
  const auto cursor = doc.find("cursor");
  const auto more = doc.find("more");
  const auto list = doc.find("revocations");
  if (cursor == doc.end() || !cursor->is_number_integer() || cursor->get<int64_t>() < 0) {
    return BadFeed("no cursor");
  }
  if (more == doc.end() || !more->is_boolean() || list == doc.end() || !list->is_array()) {
    return BadFeed("no \"more\" or \"revocations\"");
  }
  FeedPage page{cursor->get<int64_t>(), more->get<bool>(), {}};
  for (const auto& entry : *list) {
    const auto serial = entry.is_object() ? entry.find("serial") : entry.end();
    if (serial == entry.end() || !serial->is_string() || !IsSerialHex(serial->get<std::string>())) {
      return BadFeed("an entry without a lower-case hex serial");
    }
    page.serials.push_back(serial->get<std::string>());
  }
  return page;
}

Result<bool> FollowPage(RevocationList& list, const FeedPage& page, int64_t asked) {
  ANCHOR_TRY(list.Apply(page));
  if (page.more && page.cursor <= asked) {
    return Error(Code::kFailedPrecondition,
                 "the revocation feed says more follows but its cursor stays at " +
                     std::to_string(page.cursor) + "; asking again at the next poll");
  }
  return page.more;
}

bool RevocationList::IsRevoked(const std::string& serial) const {
  std::lock_guard lock(mu_);
  return revoked_.count(serial) != 0;
}

int64_t RevocationList::cursor() const {
  std::lock_guard lock(mu_);
  return cursor_;
}

size_t RevocationList::size() const {
  std::lock_guard lock(mu_);
  return revoked_.size();
}

void RevocationList::Rewind() {
  std::lock_guard lock(mu_);
  cursor_ = 0;
}

Status RevocationList::Apply(const FeedPage& page) {
  std::lock_guard lock(mu_);
  if (page.cursor < cursor_) {
    return Error(Code::kFailedPrecondition,
                 "the CA's revocation cursor went back from " + std::to_string(cursor_) + " to " +
                     std::to_string(page.cursor) +
                     "; is this the same CA? remove the plugin's cache file if it was replaced");
  }
  for (const std::string& serial : page.serials) {
    if (revoked_.insert(serial).second) {
      fresh_.push_back(serial);
    }
  }
  cursor_ = page.cursor;
  if (!fresh_.empty()) {
    has_fresh_.store(true, std::memory_order_release);
  }
  return OkStatus();
}

std::vector<std::string> RevocationList::TakeFresh() {
  std::lock_guard lock(mu_);
  has_fresh_.store(false, std::memory_order_release);
  return std::exchange(fresh_, {});
}

FeedPage RevocationList::Snapshot() const {
  std::lock_guard lock(mu_);
  return FeedPage{cursor_, false, {revoked_.begin(), revoked_.end()}};
}

void RevocationList::Restore(const FeedPage& saved) {
  std::lock_guard lock(mu_);
  revoked_ = {saved.serials.begin(), saved.serials.end()};
  cursor_ = saved.cursor;
}

}  // namespace anchor::mqtt
