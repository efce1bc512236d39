// SPDX-License-Identifier: Apache-2.0
// File: feed_follower.cc: polling the revocation feed and cacerts; the cache file.
#include "plugins/mosquitto/feed_follower.h"

#include <nlohmann/json.hpp>

#include "client/est_client.h"
#include "client/https_client.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/chain_verifier.h"

namespace anchor::mqtt {
namespace {

using namespace std::chrono_literals;

// kWaitMargin is how much longer than its wait a feed request may take before it is given up:
// its timeout, and how long a waiting request counts as the feed answering (LastSuccess).
constexpr std::chrono::seconds kWaitMargin{5};

// kFeedPageLimit is the page size asked of the feed; a broker catching up pages through.
constexpr int kFeedPageLimit = 5000;
// kMaxPagesPerPoll bounds the pages one poll asks for (a million revocations).
constexpr int kMaxPagesPerPoll = 200;
// kIssuerRecheck is the least time between two fetches of cacerts asked for by clients of an
// unknown issuer.
constexpr std::chrono::seconds kIssuerRecheck{5};

std::string Describe(const RevocationList& list) {
  return std::to_string(list.size()) + " revoked serial(s), cursor " +
         std::to_string(list.cursor());
}

// Urls names the replicas for a log line: "https://a:8443", or "https://a:8443, https://b:8443".
std::string Urls(const client::ServerList& servers) { return Join(servers.urls(), ", "); }

}  // namespace

std::string FeedRequestPath(int64_t since, int limit, std::chrono::seconds wait) {
  std::string path =
      "/api/v1/revocations?since=" + std::to_string(since) + "&limit=" + std::to_string(limit);
  if (wait.count() > 0) {
    path += "&wait=" + std::to_string(wait.count()) + "s";
  }
  return path;
}

std::string PermissionRemedy(const Error& e) {
  return e.code() == Code::kPermissionDenied
             ? "; Mosquitto runs as that user once started (its `user` option, by default "
               "mosquitto): give it the file and its directory (chown), or choose another path"
             : "";
}

void LogQueue::Push(Level level, std::string text) {
  std::lock_guard lock(mu_);
  lines_.push_back(Line{level, std::move(text)});
}

std::vector<LogQueue::Line> LogQueue::Drain() {
  std::lock_guard lock(mu_);
  return std::exchange(lines_, {});
}

FeedFollower::FeedFollower(FollowerOptions options, RevocationList& list, TrustedIssuers& issuers,
                           LogQueue& log)
    : options_(std::move(options)), list_(list), issuers_(issuers), log_(log) {
  // Called on the follower's thread; the queue carries the line to the broker's.
  options_.servers.SetSwitchLog([&log](const std::string& line) {
    log.Push(LogQueue::Level::kWarning, "revocation feed: " + line);
  });
}

FeedFollower::~FeedFollower() { Stop(); }

void FeedFollower::Start() {
  thread_ = std::thread([this] { Run(); });
}

void FeedFollower::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

Clock::time_point FeedFollower::LastSuccess() const {
  const Clock::time_point now = SystemClock().Now();
  const int64_t waiting = waiting_since_ns_.load();
  // A request waiting on the CA that answered the one before is the feed answering, until it is
  // overdue (the request's own timeout: a CA that froze).
  if (waiting != 0 && now - Clock::time_point(std::chrono::nanoseconds(waiting)) <
                          options_.feed_wait + kWaitMargin) {
    return now;
  }
  return Clock::time_point(std::chrono::nanoseconds(last_success_ns_.load()));
}

void FeedFollower::Run() {
  bool answered = last_success_ns_.load() != 0;  // the Poll at broker start, if any, answered
  for (;;) {
    const Clock::time_point started = SystemClock().Now();
    const int64_t before = list_.cursor();
    // After a failure the first request does not wait: a CA that is back shows at once.
    const std::chrono::seconds wait = answered ? options_.feed_wait : 0s;
    if (wait.count() > 0) {
      waiting_since_ns_ =
          std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count();
    }
    answered = Poll(wait);
    waiting_since_ns_ = 0;
    const std::chrono::milliseconds pause = PauseAfter(started, answered, list_.cursor() != before);
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, pause, [this] { return stop_; })) {
      return;
    }
  }
}

std::chrono::milliseconds FeedFollower::PauseAfter(Clock::time_point started, bool answered,
                                                   bool advanced) const {
  if (!answered || options_.feed_wait.count() == 0) {
    return options_.poll_interval;
  }
  if (advanced) {
    return std::chrono::milliseconds(0);  // there may be more: ask again, waiting if not
  }
  // An empty answer: after a wait, ask again at once; sooner than poll_interval (the CA did not
  // wait), not faster than a poller would.
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(SystemClock().Now() - started);
  return std::max(std::chrono::milliseconds(0), options_.poll_interval - took);
}

bool FeedFollower::Poll(std::chrono::seconds wait) {
  const Status st = PollOnce(wait);
  const Clock::time_point now = SystemClock().Now();
  if (st) {
    last_success_ns_.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
    if (auto line =
            feed_log_.Succeeded(now, "following the revocation feed of " +
                                         options_.servers.Current() + ": " + Describe(list_))) {
      log_.Push(LogQueue::Level::kNotice, std::move(*line));
    }
    return true;
  }
  if (auto line = feed_log_.Failed(now, "cannot follow the revocation feed of " +
                                            Urls(options_.servers) + " (" + st.error().message() +
                                            "); keeping the last known list: " + Describe(list_))) {
    log_.Push(LogQueue::Level::kWarning, std::move(*line));
  }
  return false;
}

Status FeedFollower::PollOnce(std::chrono::seconds wait) {
  // One connection, kept alive across polls; made again after a failure (the CA may have come
  // back elsewhere, or the broker's certificate may have been renewed on disk).
  if (http_ == nullptr) {
    client::TlsOptions tls;
    tls.ca_pem = crypto::ToPemBundle(options_.roots);
    tls.cert_file = options_.cert_file;
    tls.key_file = options_.key_file;
    // Long enough for a request that waits on the CA, and no longer.
    tls.timeout_seconds = (options_.feed_wait + kWaitMargin).count();
    tls.cancel = &cancel_;
    ANCHOR_ASSIGN_OR_RETURN(client::HttpsClient made, client::HttpsClient::Create(tls));
    http_ = std::make_unique<client::HttpsClient>(std::move(made));
  }
  const auto fail = [&](Error e) {
    http_.reset();
    return e;
  };
  // A client of an unknown issuer may come from an intermediate the CA has just rotated to:
  // fetch cacerts again then, at most every kIssuerRecheck (a foreign CA's clients must not
  // make every poll fetch).
  const auto since_fetch = SystemClock().Now() - issuers_fetched_;
  const bool recheck = since_fetch > kIssuerRecheck && issuers_.TakeRefreshWanted();
  const bool issuers_due = !issuers_.Known() || since_fetch > options_.issuer_refresh || recheck;
  if (issuers_due) {
    ANCHOR_TRY(FetchIssuers());
  }
  // A bounded number of pages per poll: a broker far behind catches up over a few polls
  // rather than holding the connection in one loop.
  for (int pages = 0; pages < kMaxPagesPerPoll; ++pages) {
    const int64_t since = list_.cursor();
    // Only the first request of a poll waits: a later page follows one that was full.
    const std::string path = FeedRequestPath(since, kFeedPageLimit, pages == 0 ? wait : 0s);
    auto answer = options_.servers.Send(
        [&](const std::string& base) { return http_->Get(client::JoinUrl(base, path)); });
    if (!answer) {
      return fail(answer.error());
    }
    if (answer->status == 409 && since > 0) {
      // The feed ends before our cursor (api/revocation_feed.h): its store went back. Read it
      // again from the start; what this broker knows as revoked stays revoked.
      log_.Push(LogQueue::Level::kWarning,
                "the revocation feed of " + options_.servers.Current() +
                    " ends before this broker's cursor " + std::to_string(since) +
                    " (its store was restored from an older copy?): reading it again from the "
                    "start; the " +
                    std::to_string(list_.size()) + " serial(s) known here stay revoked");
      list_.Rewind();
      continue;
    }
    if (answer->status != 200) {
      return fail(client::ErrorFromResponse("the revocation feed", *answer));
    }
    ANCHOR_ASSIGN_OR_RETURN(const FeedPage page, ParseFeedPage(answer->body));
    ANCHOR_ASSIGN_OR_RETURN(const bool more, FollowPage(list_, page, since));
    if (!more) {
      break;
    }
  }
  SaveCache();
  return OkStatus();
}

Status FeedFollower::FetchIssuers() {
  client::EstClient est(*http_, options_.servers);
  auto cacerts = est.CaCerts();
  if (!cacerts) {
    http_.reset();
    return cacerts.error();
  }
  std::vector<crypto::Certificate> issuers = VerifiedIssuers(*cacerts);
  if (issuers.empty()) {
    return Error(Code::kFailedPrecondition,
                 "the CA's cacerts holds no intermediate that chains to the root in ca_file");
  }
  issuers_.Set(std::move(issuers));
  issuers_fetched_ = SystemClock().Now();
  saved_cursor_ = -1;  // the cache holds the issuers too
  return OkStatus();
}

std::vector<crypto::Certificate> FeedFollower::VerifiedIssuers(
    const std::vector<crypto::Certificate>& candidates) const {
  std::vector<crypto::Certificate> out;
  const crypto::VerifyOptions verify{options_.roots, candidates};
  for (const crypto::Certificate& c : candidates) {
    if (c.IsCa() && !c.IsSelfIssued() && crypto::VerifyChain(c, verify)) {
      out.push_back(c);
    }
  }
  return out;
}

void FeedFollower::SaveCache() {
  const FeedPage snapshot = list_.Snapshot();
  if (options_.cache_file.empty() || snapshot.cursor == saved_cursor_) {
    return;
  }
  // The cache is a feed page (read back by ParseFeedPage) with the issuers beside it.
  nlohmann::json revocations = nlohmann::json::array();
  for (const std::string& serial : snapshot.serials) {
    revocations.push_back({{"serial", serial}});
  }
  const nlohmann::json cache = {{"cursor", snapshot.cursor},
                                {"more", false},
                                {"revocations", std::move(revocations)},
                                {"issuers_pem", crypto::ToPemBundle(issuers_.Get())}};
  const Status st = WriteFileAtomic(options_.cache_file, cache.dump() + "\n", kPublicFileMode);
  const Clock::time_point now = SystemClock().Now();
  if (!st) {
    // Tried again at every poll (the cursor is not marked saved): logged when it starts failing,
    // as a reminder now and then, and when it works again.
    if (auto line =
            cache_log_.Failed(now, "cannot write the revocation cache: " + st.error().message() +
                                       PermissionRemedy(st.error()))) {
      log_.Push(LogQueue::Level::kWarning, std::move(*line));
    }
    return;
  }
  const bool was_failing = cache_log_.failing();
  auto line =
      cache_log_.Succeeded(now, "wrote the revocation cache " + options_.cache_file + " again");
  if (was_failing && line) {  // a first write that works is not news
    log_.Push(LogQueue::Level::kNotice, std::move(*line));
  }
  saved_cursor_ = snapshot.cursor;
}

void FeedFollower::LoadCache() {
  if (options_.cache_file.empty()) {
    return;
  }
  const auto ignore = [&](const std::string& why) {
    log_.Push(LogQueue::Level::kWarning,
              "ignoring the revocation cache " + options_.cache_file + ": " + why);
  };
  auto text = ReadFile(options_.cache_file);
  if (!text && text.error().code() == Code::kNotFound) {
    return;  // a first start: the feed writes it
  }
  if (!text) {
    return ignore(text.error().message() + PermissionRemedy(text.error()));
  }
  auto saved = ParseFeedPage(*text);
  if (!saved) {
    return ignore(saved.error().message());
  }
  const auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  const auto pem = doc.find("issuers_pem");
  if (pem == doc.end() || !pem->is_string()) {
    return ignore("it holds no issuers");
  }
  auto issuers = crypto::Certificate::ParseAll(pem->get<std::string>());
  if (!issuers || VerifiedIssuers(*issuers).size() != issuers->size()) {
    return ignore("its issuers do not chain to the root in ca_file");
  }
  list_.Restore(*saved);
  issuers_.Set(std::move(*issuers));
  saved_cursor_ = saved->cursor;
  log_.Push(LogQueue::Level::kNotice,
            "loaded the revocation cache " + options_.cache_file + ": " + Describe(list_));
}

}  // namespace anchor::mqtt
