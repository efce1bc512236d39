// SPDX-License-Identifier: Apache-2.0
// File: feed_follower.h: a background thread that follows the CA's revocation feed over mTLS
// and keeps the broker's revocation list and trusted issuers current.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/server_list.h"
#include "core/clock.h"
#include "plugins/mosquitto/client_identity.h"
#include "plugins/mosquitto/revocation_list.h"
#include "plugins/mosquitto/state_change_log.h"

namespace anchor::mqtt {

// LogQueue carries log lines from the follower thread to the broker's thread, which alone may
// call the broker's logging (Mosquitto's log can publish to $SYS topics, which is not
// thread-safe).
class LogQueue final {
 public:
  enum class Level { kInfo, kNotice, kWarning, kError };
  struct Line {
    Level level;
    std::string text;
  };
  void Push(Level level, std::string text);
  std::vector<Line> Drain();

 private:
  std::mutex mu_;
  std::vector<Line> lines_;
};

// PermissionRemedy says, for the error of a file the broker may not read or write
// (kPermissionDenied, which names the user), how to fix it; "" for any other error.
std::string PermissionRemedy(const Error& e);

// FollowerOptions say where the CA is and how to reach it.
struct FollowerOptions {
  // servers are the https://host:port of `anchor serve`: one, or the replicas of one CA on one
  // database, of which the follower asks one at a time (client::ServerList: it moves to the
  // next when the one it follows is unavailable, and stays there).
  client::ServerList servers{""};
  // roots are the anchor root(s) of ca_file: the CA server and its intermediates must chain to
  // them.
  std::vector<crypto::Certificate> roots;
  std::string cert_file;  // the broker's client certificate (chain) for mTLS to the CA
  std::string key_file;
  std::chrono::milliseconds poll_interval{250};
  std::string cache_file;  // empty: no cache
  // issuer_refresh is how often cacerts is fetched again (an intermediate rollover).
  std::chrono::seconds issuer_refresh{3600};
};

// FeedRequestPath is the feed request for the revocations after `since`, at most `limit` of them:
// "/api/v1/revocations?since=N&limit=M" (the one place it is made).
std::string FeedRequestPath(int64_t since, int limit);

// FeedFollower polls GET /api/v1/revocations?since=CURSOR every `poll_interval` over one
// kept-alive mTLS connection, and cacerts when it knows no issuer or `issuer_refresh` passed.
// It follows one replica at a time; when that one is unavailable the same request goes to the
// next, which it follows from then on (one log line per switch). The cursor is kept across a
// switch: replicas of one database number revocations with the one counter they share. While no
// replica answers the list stays as it was. Whether the feed answers, and whether the cache file
// can be written, are each logged when they change (StateChangeLog), not per poll.
class FeedFollower final {
 public:
  FeedFollower(FollowerOptions options, RevocationList& list, TrustedIssuers& issuers,
               LogQueue& log);
  ~FeedFollower();  // stops the thread
  FeedFollower(const FeedFollower&) = delete;
  FeedFollower& operator=(const FeedFollower&) = delete;

  // LoadCache restores the list and the issuers from the cache file, if there is one. A cache
  // that cannot be read is logged and ignored: the feed rebuilds it.
  void LoadCache();
  // Poll follows the feed once, on the caller's thread (the plugin does so at broker start,
  // before any client connects); Start then polls on a thread of its own until Stop.
  void Poll();
  void Start();
  void Stop();

  // LastSuccess is when the feed last answered (the epoch before the first answer).
  Clock::time_point LastSuccess() const;

 private:
  void Run();
  Status PollOnce();
  Status FetchIssuers();
  // VerifiedIssuers returns the CA certificates among `candidates` that chain to the roots.
  std::vector<crypto::Certificate> VerifiedIssuers(
      const std::vector<crypto::Certificate>& candidates) const;
  void SaveCache();

  FollowerOptions options_;
  RevocationList& list_;
  TrustedIssuers& issuers_;
  LogQueue& log_;
  std::unique_ptr<client::HttpsClient> http_;  // used by the follower thread only
  std::atomic<int64_t> last_success_ns_{0};
  StateChangeLog feed_log_;   // the feed answering or not
  StateChangeLog cache_log_;  // the cache file written or not
  Clock::time_point issuers_fetched_{};
  int64_t saved_cursor_ = -1;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace anchor::mqtt
