// SPDX-License-Identifier: Apache-2.0
// File: revocation_list.h: the revoked serials a broker knows from the CA's revocation feed,
// shared between the thread that follows the feed and the broker's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/error.h"

namespace anchor::mqtt {

// FeedPage is one answer of GET /api/v1/revocations?since=CURSOR.
struct FeedPage {
  int64_t cursor = 0;
  bool more = false;
  std::vector<std::string> serials;  // lower-case hex
};

// IsSerialHex accepts a serial as the CA writes it: 1-40 lower-case hex digits.
bool IsSerialHex(const std::string& serial);

// ParseFeedPage reads the feed's JSON ({"cursor", "more", "revocations": [{"serial", ...}]}).
// Anything else is kInvalidArgument: the broker must not take a garbled page for "nothing new".
Result<FeedPage> ParseFeedPage(std::string_view json);

class RevocationList;

// FollowPage applies `page`, the feed's answer to "since=`asked`", to `list` and tells whether
// to ask for the next page now: the feed says there is more and its cursor moved past `asked`.
// A page that says there is more without moving the cursor would have the follower ask the same
// question in a loop; it is kFailedPrecondition (its serials are still applied), and the
// follower asks again at its next poll.
Result<bool> FollowPage(RevocationList& list, const FeedPage& page, int64_t asked);

// RevocationList is the set of revoked serials and the feed cursor they reach. Every method is
// thread-safe.
class RevocationList final {
 public:
  bool IsRevoked(const std::string& serial) const;
  int64_t cursor() const;
  size_t size() const;

  // Apply adds a page's serials and moves the cursor; serials not known before are also kept
  // for `TakeFresh`. A page whose cursor is behind ours (another CA, or a CA restored from an
  // old backup) is kFailedPrecondition and changes nothing.
  Status Apply(const FeedPage& page);
  // Rewind sets the cursor back to 0 and keeps every serial: for a CA whose feed ends before our
  // cursor (its store restored from an older copy), read again from the start. What was revoked
  // here stays revoked, even if the restored store lost it.
  void Rewind();

  // HasFresh is a cheap check, for every broker tick, that `TakeFresh` has something.
  bool HasFresh() const { return has_fresh_.load(std::memory_order_acquire); }
  // TakeFresh returns the serials revoked since the last call, to disconnect their clients.
  std::vector<std::string> TakeFresh();

  // Snapshot and Restore keep the list across broker restarts (in the plugin's cache file), so
  // that a broker started while the CA is down still refuses what was revoked before.
  FeedPage Snapshot() const;
  void Restore(const FeedPage& saved);

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> revoked_;
  int64_t cursor_ = 0;
  std::vector<std::string> fresh_;
  std::atomic<bool> has_fresh_{false};
};

}  // namespace anchor::mqtt
