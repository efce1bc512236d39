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
  // feed_wait is how long one feed request may wait on the CA for a revocation (the feed's
  // long-poll, `wait`): a revocation then arrives as it commits instead of at the next poll.
  // 0: no waiting, a poll every `poll_interval`. It also bounds how long a replica that stopped
  // answering without closing its connections (a frozen machine) holds the follower before it
  // moves to the next: a request's timeout is feed_wait + 5 s.
  std::chrono::seconds feed_wait{10};
  std::string cache_file;  // empty: no cache
  // issuer_refresh is how often cacerts is fetched again (an intermediate rollover).
  std::chrono::seconds issuer_refresh{3600};
};

// FeedRequestPath is the feed request for the revocations after `since`, at most `limit` of them,
// waiting up to `wait` for one when there is none yet:
// "/api/v1/revocations?since=N&limit=M[&wait=Ss]" (the one place it is made).
std::string FeedRequestPath(int64_t since, int limit,
                            std::chrono::seconds wait = std::chrono::seconds(0));

// FeedFollower follows GET /api/v1/revocations?since=CURSOR over one kept-alive mTLS connection,
// and cacerts when it knows no issuer or `issuer_refresh` passed. With `feed_wait`, each request
// waits on the CA until a revocation commits (or feed_wait passes) and the next is sent at once;
// an answer that comes back empty sooner than `poll_interval` (a CA that cannot wait now, or an
// older one) is followed by a pause to `poll_interval`, so the follower never polls faster than
// that. Without it, and after a failed request, it polls every `poll_interval`.
// While the CA is unreachable the list stays as it was. Whether the feed answers, and whether the
// cache file can be written, are each logged when they change (StateChangeLog), not per poll.
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
  // before any client connects, without waiting); Start then follows on a thread of its own
  // until Stop, which ends a request in progress within about a second. True when the feed
  // answered.
  bool Poll(std::chrono::seconds wait = std::chrono::seconds(0));
  void Start();
  void Stop();

  // LastSuccess is when the feed last answered (the epoch before the first answer), or now while
  // a request waits on a CA that answered the one before (until that request is overdue:
  // feed_wait + 5 s, a CA that froze).
  Clock::time_point LastSuccess() const;

 private:
  void Run();
  // PauseAfter is how long to wait before the next request, after one that began at `started`,
  // answered (`answered`) and moved the cursor or not (`advanced`).
  std::chrono::milliseconds PauseAfter(Clock::time_point started, bool answered,
                                       bool advanced) const;
  Status PollOnce(std::chrono::seconds wait);
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
  std::atomic<int64_t> waiting_since_ns_{0};  // a waiting request's start; 0: none
  StateChangeLog feed_log_;                   // the feed answering or not
  StateChangeLog cache_log_;                  // the cache file written or not
  Clock::time_point issuers_fetched_{};
  int64_t saved_cursor_ = -1;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // set by Stop: ends the request in progress (TlsOptions)
  std::thread thread_;
};

}  // namespace anchor::mqtt
