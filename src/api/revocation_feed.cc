// SPDX-License-Identifier: Apache-2.0
// File: revocation_feed.cc: the revocation feed as JSON.
#include "api/revocation_feed.h"

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "crypto/crl.h"

namespace anchor::api {
namespace {

// FeedQuery is what a request asks of the feed: the revocations after `since`, `limit` at most.
struct FeedQuery {
  int64_t since = 0;
  size_t limit = kFeedPageDefault;
  std::chrono::seconds wait{0};
};

Result<FeedQuery> ParseFeedQuery(const http::Request& request) {
  ANCHOR_TRY(http::OnlyQueryParameters(request, {"since", "limit", "wait"}));
  FeedQuery query;
  if (auto text = request.Query("since")) {
    auto v = http::ParseCount(*text);
    if (!v) {
      return Error(Code::kInvalidArgument,
                   "since must be the cursor of the last answer (an integer >= 0)");
    }
    query.since = *v;
  }
  if (auto text = request.Query("limit")) {
    auto v = http::ParseCount(*text);
    if (!v || *v < 1 || static_cast<size_t>(*v) > kFeedPageMax) {
      return Error(Code::kInvalidArgument,
                   "limit must be between 1 and " + std::to_string(kFeedPageMax));
    }
    query.limit = static_cast<size_t>(*v);
  }
  if (auto text = request.Query("wait")) {
    Result<std::chrono::seconds> wait = ParseDuration(*text);
    if (!wait || *wait > kFeedMaxWait) {
      return Error(Code::kInvalidArgument, "wait must be a duration from 1s to " +
                                               FormatDuration(kFeedMaxWait) +
                                               " in whole seconds with a unit, such as wait=30s");
    }
    query.wait = *wait;
  }
  return query;
}

// CheckCursorKnown refuses a cursor past the newest revocation: the follower read it from a
// store that has since gone back (restored from an older copy, a failover that lost commits) or
// from another CA. Echoing it back would have the follower skip every revocation numbered up to
// it, silently; the 409 tells it to read again from 0.
Status CheckCursorKnown(ca::Authority& authority, int64_t since) {
  ANCHOR_ASSIGN_OR_RETURN(const int64_t latest, authority.LatestRevocation());
  if (since <= latest) {
    return OkStatus();
  }
  return Error(Code::kFailedPrecondition,
               "since=" + std::to_string(since) + " is past the newest revocation (" +
                   std::to_string(latest) +
                   "): the CA's store went back (restored from an older copy) or this is another "
                   "CA; read the feed again from since=0");
}

Result<http::Response> FeedPage(ca::Authority& authority, const http::Request& request) {
  ANCHOR_ASSIGN_OR_RETURN(const FeedQuery query, ParseFeedQuery(request));
  // The version is read before the revocations: one that commits after the read raises it, so
  // the wait below ends at once rather than missing it.
  ChangeSignal& revocations = authority.revocations();
  const uint64_t seen = revocations.version();
  // One more than asked tells whether another page follows.
  ANCHOR_ASSIGN_OR_RETURN(std::vector<store::RevocationEvent> events,
                          authority.RevocationsSince(query.since, query.limit + 1));
  if (events.empty() && query.since > 0) {
    ANCHOR_TRY(CheckCursorKnown(authority, query.since));
  }
  if (events.empty() && query.wait.count() > 0 && !request.waited && revocations.live()) {
    http::Response wait;
    wait.long_poll = http::LongPoll{&revocations, seen, query.wait};
    return wait;
  }
  const bool more = events.size() > query.limit;
  if (more) {
    events.pop_back();
  }
  nlohmann::json list = nlohmann::json::array();
  for (const store::RevocationEvent& e : events) {
    list.push_back({{"seq", e.seq},
                    {"serial", e.serial},
                    {"revoked_at", Iso8601(FromUnixSeconds(e.revoked_at))},
                    {"revoked_at_unix", e.revoked_at},
                    {"reason", crypto::ReasonName(e.reason)}});
  }
  const int64_t cursor = events.empty() ? query.since : events.back().seq;
  nlohmann::json body = {{"cursor", cursor}, {"more", more}, {"revocations", std::move(list)}};
  return http::Response{
      200, "application/json", {{"Cache-Control", "no-store"}}, body.dump() + "\n"};
}

}  // namespace

http::Response RevocationFeed(ca::Authority& authority, const http::Request& request) {
  return http::Respond(FeedPage(authority, request));
}

}  // namespace anchor::api
