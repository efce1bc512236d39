// SPDX-License-Identifier: Apache-2.0
// File: exit_codes.cc: Code -> exit code.
#include "cli/exit_codes.h"

namespace anchor::cli {

int ExitCodeFor(const Error& error) {
  switch (error.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kAborted:
    case Code::kUnavailable:
    case Code::kUnimplemented:
    case Code::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

}  // namespace anchor::cli
