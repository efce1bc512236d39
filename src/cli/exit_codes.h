// SPDX-License-Identifier: Apache-2.0
// File: exit_codes.h: the one place where error codes become process exit codes.
#pragma once

#include "core/error.h"

namespace anchor::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the user can fix it: bad input, policy, state
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

// ExitCodeFor maps an `Error` to the exit code of the process.
int ExitCodeFor(const Error& error);

}  // namespace anchor::cli
