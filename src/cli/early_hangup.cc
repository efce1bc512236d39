// SPDX-License-Identifier: Apache-2.0
// File: early_hangup.cc: a SIGHUP handler that remembers the signal until serve can reload.
#include "cli/early_hangup.h"

#include <csignal>

namespace anchor::cli {
namespace {

volatile std::sig_atomic_t g_hangup = 0;

extern "C" void RememberHangup(int /*signal*/) { g_hangup = 1; }

}  // namespace

void CatchEarlyHangup() {
  struct sigaction action {};
  action.sa_handler = RememberHangup;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a read of the passphrase file is not cut short
  sigaction(SIGHUP, &action, nullptr);
}

bool EarlyHangupCaught() { return g_hangup != 0; }

}  // namespace anchor::cli
