// SPDX-License-Identifier: Apache-2.0
// File: exit_codes.cc: Code -> exit code, by looking it up in kExitCodes.
#include "core/exit_codes.h"

namespace anchor {

int ExitCodeFor(const Error& error, Program program) {
  for (const ExitCodeRow& row : kExitCodes) {
    if (row.code == error.code()) {
      return program == Program::kAnchor ? row.anchor : row.agent;
    }
  }
  return kExitFailure;
}

bool IsTemporary(const Error& error) {
  return ExitCodeFor(error, Program::kAgent) == kExitTempFail;
}

}  // namespace anchor
