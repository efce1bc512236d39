// SPDX-License-Identifier: Apache-2.0
// File: exit_codes.h: the one table where error codes become process exit codes, for every
// program (`anchor`, `anchor-agent`, `anchor-agent-worker`). It sits in core, below the layers of
// both programs, because `anchor-agent` links nothing above core.
#pragma once

#include "core/error.h"

namespace anchor {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // a person must act: bad input, policy, state
inline constexpr int kExitUsage = 2;      // the command line itself is wrong
inline constexpr int kExitTempFail = 75;  // EX_TEMPFAIL (sysexits.h): try again later

// Program is who exits. `anchor` is run by a person, who reads the message and decides what to
// do: every failure is kExitFailure. `anchor-agent` and its worker are run by their own
// scheduler, cron or a service manager, which must tell a failure that a later attempt may
// outlive (kExitTempFail) from one that needs a person (kExitFailure).
enum class Program { kAnchor, kAgent };

// ExitCodeRow is one line of kExitCodes: what each program exits with for `code`.
struct ExitCodeRow {
  Code code;
  int anchor;
  int agent;
};

// kExitCodes is the table (STYLE.md 4.2). A later attempt may outlive, without anyone acting,
// the CA down, overloaded or out of disk, our own disk full (kUnavailable), a fault inside the
// CA (kInternal) and a lost race (kAborted). A certificate expired beyond the grace period,
// revoked or not recognised, a used token, a refused name or a bad file needs a person, as does a
// request the server refused for its size or its media type: sending it again changes nothing.
// clang-format off
inline constexpr ExitCodeRow kExitCodes[] = {
    // code                        anchor         anchor-agent
    {Code::kOk,                    kExitOk,       kExitOk},
    {Code::kInvalidArgument,       kExitFailure,  kExitFailure},
    {Code::kUnauthenticated,       kExitFailure,  kExitFailure},
    {Code::kPermissionDenied,      kExitFailure,  kExitFailure},
    {Code::kNotFound,              kExitFailure,  kExitFailure},
    {Code::kAlreadyExists,         kExitFailure,  kExitFailure},
    {Code::kFailedPrecondition,    kExitFailure,  kExitFailure},
    {Code::kAborted,               kExitFailure,  kExitTempFail},
    {Code::kUnavailable,           kExitFailure,  kExitTempFail},
    {Code::kUnimplemented,         kExitFailure,  kExitFailure},
    {Code::kInternal,              kExitFailure,  kExitTempFail},
    {Code::kContentTooLarge,       kExitFailure,  kExitFailure},
    {Code::kUnsupportedMediaType,  kExitFailure,  kExitFailure},
    {Code::kUriTooLong,            kExitFailure,  kExitFailure},
    {Code::kHeaderTooLarge,        kExitFailure,  kExitFailure},
};
// clang-format on

// ExitCodeFor is the exit code with which `program` ends on `error` (kExitCodes); every code has
// a row (kAllCodes, tests/unit/core/exit_codes_test.cc), and one missing would be kExitFailure.
int ExitCodeFor(const Error& error, Program program);

// IsTemporary says whether a later attempt may outlive `error` without anyone acting: the rows of
// kExitCodes where a scheduled program exits kExitTempFail. The agent retries exactly these.
bool IsTemporary(const Error& error);

}  // namespace anchor
