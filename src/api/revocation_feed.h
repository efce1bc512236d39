// SPDX-License-Identifier: Apache-2.0
// File: revocation_feed.h: GET /api/v1/revocations?since=CURSOR, the feed brokers follow.
#pragma once

#include "ca/authority.h"
#include "http/http_message.h"

namespace anchor::api {

// kFeedPageDefault and kFeedPageMax bound one page of the feed.
inline constexpr size_t kFeedPageDefault = 1000;
inline constexpr size_t kFeedPageMax = 10000;

// RevocationFeed answers GET /api/v1/revocations?since=CURSOR[&limit=N] with the revocations
// after CURSOR, oldest first, as JSON:
//   {"cursor": N, "more": false, "revocations": [{"seq", "serial", "revoked_at",
//    "revoked_at_unix", "reason"}]}
// A broker stores "cursor" and asks again with it; with nothing new it gets an empty list and
// the same cursor. The feed is public, as the CRL is: it says what the CRL says, sooner. One
// indexed range query per call and no signature, so hundreds of brokers can poll every second.
// A cursor that is not a non-negative integer is 400.
http::Response RevocationFeed(ca::Authority& authority, const http::Request& request);

}  // namespace anchor::api
