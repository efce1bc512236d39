// SPDX-License-Identifier: Apache-2.0
// File: revocation_feed.h: GET /api/v1/revocations?since=CURSOR, the feed brokers follow.
#pragma once

#include <chrono>

#include "ca/authority.h"
#include "http/http_message.h"

namespace anchor::api {

// kFeedPageDefault and kFeedPageMax bound one page of the feed.
inline constexpr size_t kFeedPageDefault = 1000;
inline constexpr size_t kFeedPageMax = 10000;

// kFeedMaxWait bounds how long one request of the feed may wait for a revocation (`wait`): under
// the 60 s idle timeout of common proxies and load balancers.
inline constexpr std::chrono::seconds kFeedMaxWait{55};

// RevocationFeed answers GET /api/v1/revocations?since=CURSOR[&limit=N][&wait=DURATION] with the
// revocations after CURSOR, oldest first, as JSON:
//   {"cursor": N, "more": false, "revocations": [{"seq", "serial", "revoked_at",
//    "revoked_at_unix", "reason"}]}
// A broker stores "cursor" and asks again with it; with nothing new it gets an empty list and
// the same cursor. The feed is public, as the CRL is: it says what the CRL says, sooner. One
// indexed range query per call and no signature, so hundreds of brokers can poll every second.
//
// With `wait` (a duration, "30s", at most kFeedMaxWait) and nothing after CURSOR, the answer
// waits (http::LongPoll, no thread held) until a revocation commits, on this replica or, through
// the store's signal, on any other, and comes then; or, after `wait`, empty. It comes at once,
// even empty, when the store cannot see other processes' revocations now (its signal is not
// live: a replica whose LISTEN connection is down): a follower that gets an empty answer sooner
// than it asked to wait should pause before asking again, as a poller would.
// A cursor that is not a non-negative integer, or a bad limit or wait, is 400. A cursor past the
// newest revocation is 409 (kFailedPrecondition): the store went back (restored from an older
// copy) or it came from another CA, and the follower must read again from 0 rather than skip
// the revocations that will be numbered up to its cursor.
http::Response RevocationFeed(ca::Authority& authority, const http::Request& request);

}  // namespace anchor::api
