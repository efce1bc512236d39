// SPDX-License-Identifier: Apache-2.0
// What the agent does after a failure: retry later (75) or stop for a person (1), decided in one
// place from the error code, whether the error came from an HTTP status or from the agent itself.
#include <gtest/gtest.h>

#include "agent/agent_cli.h"
#include "client/https_client.h"

namespace anchor::agent {
namespace {

int ExitForStatus(long status) {
  return ExitCodeFor(client::ErrorFromResponse("simplereenroll", {status, "text/plain", "why\n"}));
}

TEST(ExitCodeTest, WhatALaterAttemptMayOutliveIsRetried) {
  EXPECT_EQ(ExitForStatus(503), kExitRetry) << "the CA is down or its disk is full";
  EXPECT_EQ(ExitForStatus(500), kExitRetry) << "a fault inside the CA";
  EXPECT_EQ(ExitForStatus(502), kExitRetry);
  EXPECT_EQ(ExitForStatus(504), kExitRetry);
  EXPECT_EQ(ExitForStatus(429), kExitRetry);
  EXPECT_EQ(ExitForStatus(408), kExitRetry);
  EXPECT_EQ(ExitCodeFor(Error(Code::kUnavailable, "connection refused")), kExitRetry);
  EXPECT_EQ(ExitCodeFor(Error(Code::kAborted, "lost a race")), kExitRetry);
}

TEST(ExitCodeTest, WhatNeedsAPersonStopsTheAgent) {
  EXPECT_EQ(ExitForStatus(401), kExitFailed) << "expired beyond the grace period, revoked, unknown";
  EXPECT_EQ(ExitForStatus(403), kExitFailed) << "a name or profile policy refuses";
  EXPECT_EQ(ExitForStatus(400), kExitFailed);
  EXPECT_EQ(ExitForStatus(409), kExitFailed);
  EXPECT_EQ(ExitForStatus(413), kExitFailed);
  EXPECT_EQ(ExitCodeFor(Error(Code::kUnauthenticated, "TLS alert certificate expired")),
            kExitFailed);
  EXPECT_EQ(ExitCodeFor(Error(Code::kInvalidArgument, "the key is not the certificate's")),
            kExitFailed);
  EXPECT_EQ(ExitCodeFor(Error(Code::kNotFound, "no such file")), kExitFailed);
}

TEST(ExitCodeTest, TheServersReasonReachesTheLog) {
  const Error e = client::ErrorFromResponse("simplereenroll", {401, "text/plain", "expired\nmore"});
  EXPECT_EQ(e.message(), "simplereenroll: 401 expired");
}

}  // namespace
}  // namespace anchor::agent
