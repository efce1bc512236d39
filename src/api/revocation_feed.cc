// SPDX-License-Identifier: Apache-2.0
// File: revocation_feed.cc: the revocation feed as JSON.
#include "api/revocation_feed.h"

#include <nlohmann/json.hpp>

#include "crypto/crl.h"

namespace anchor::api {
http::Response RevocationFeed(ca::Authority& authority, const http::Request& request) {
  int64_t since = 0;
  if (auto text = request.Query("since")) {
    auto v = http::ParseCount(*text);
    if (!v) {
      return http::TextResponse(400,
                                "since must be the cursor of the last answer (an integer >= 0)");
    }
    since = *v;
  }
  size_t limit = kFeedPageDefault;
  if (auto text = request.Query("limit")) {
    auto v = http::ParseCount(*text);
    if (!v || *v < 1 || static_cast<size_t>(*v) > kFeedPageMax) {
      return http::TextResponse(400, "limit must be between 1 and " + std::to_string(kFeedPageMax));
    }
    limit = static_cast<size_t>(*v);
  }
  // One more than asked tells whether another page follows.
  auto events = authority.RevocationsSince(since, limit + 1);
  if (!events) {
    return http::ErrorResponse(events.error());
  }
  const bool more = events->size() > limit;
  if (more) {
    events->pop_back();
  }
  nlohmann::json list = nlohmann::json::array();
  for (const store::RevocationEvent& e : *events) {
    list.push_back({{"seq", e.seq},
                    {"serial", e.serial},
                    {"revoked_at", Iso8601(FromUnixSeconds(e.revoked_at))},
                    {"revoked_at_unix", e.revoked_at},
                    {"reason", crypto::ReasonName(e.reason)}});
  }
  const int64_t cursor = events->empty() ? since : events->back().seq;
  nlohmann::json body = {{"cursor", cursor}, {"more", more}, {"revocations", std::move(list)}};
  http::Response r{200, "application/json", {{"Cache-Control", "no-store"}}, body.dump() + "\n"};
  return r;
}

}  // namespace anchor::api
