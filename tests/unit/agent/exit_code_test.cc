// SPDX-License-Identifier: Apache-2.0
// What the agent does after a failure: retry later (75) or stop for a person (1), decided in one
// place from the error code, whether the error came from an HTTP status or from the agent itself.
#include <gtest/gtest.h>

#include "client/https_client.h"
#include "core/exit_codes.h"

namespace anchor::agent {
namespace {

// AgentExitCode is the exit code of anchor-agent (and its worker) on `error`.
int AgentExitCode(const Error& error) { return ExitCodeFor(error, Program::kAgent); }

int ExitForStatus(long status) {
  return AgentExitCode(
      client::ErrorFromResponse("simplereenroll", {status, "text/plain", "why\n"}));
}

TEST(ExitCodeTest, WhatALaterAttemptMayOutliveIsRetried) {
  EXPECT_EQ(ExitForStatus(503), kExitTempFail) << "the CA is down or its disk is full";
  EXPECT_EQ(ExitForStatus(500), kExitTempFail) << "a fault inside the CA";
  EXPECT_EQ(ExitForStatus(502), kExitTempFail);
  EXPECT_EQ(ExitForStatus(504), kExitTempFail);
  EXPECT_EQ(ExitForStatus(429), kExitTempFail);
  EXPECT_EQ(ExitForStatus(408), kExitTempFail);
  EXPECT_EQ(AgentExitCode(Error(Code::kUnavailable, "connection refused")), kExitTempFail);
  EXPECT_EQ(AgentExitCode(Error(Code::kAborted, "lost a race")), kExitTempFail);
}

TEST(ExitCodeTest, WhatNeedsAPersonStopsTheAgent) {
  EXPECT_EQ(ExitForStatus(401), kExitFailure)
      << "expired beyond the grace period, revoked, unknown";
  EXPECT_EQ(ExitForStatus(403), kExitFailure) << "a name or profile policy refuses";
  EXPECT_EQ(ExitForStatus(400), kExitFailure);
  EXPECT_EQ(ExitForStatus(409), kExitFailure);
  EXPECT_EQ(ExitForStatus(413), kExitFailure);
  EXPECT_EQ(AgentExitCode(Error(Code::kUnauthenticated, "TLS alert certificate expired")),
            kExitFailure);
  EXPECT_EQ(AgentExitCode(Error(Code::kInvalidArgument, "the key is not the certificate's")),
            kExitFailure);
  EXPECT_EQ(AgentExitCode(Error(Code::kNotFound, "no such file")), kExitFailure);
}

TEST(ExitCodeTest, TheServersReasonReachesTheLog) {
  const Error e = client::ErrorFromResponse("simplereenroll", {401, "text/plain", "expired\nmore"});
  EXPECT_EQ(e.message(), "simplereenroll: 401 expired");
}

}  // namespace
}  // namespace anchor::agent
