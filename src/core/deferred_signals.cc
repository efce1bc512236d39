// SPDX-License-Identifier: Apache-2.0
// File: deferred_signals.cc: blocking the terminating signals around a critical section.
#include "core/deferred_signals.h"

#include <pthread.h>
#include <time.h>

#include <initializer_list>

namespace anchor {

DeferSignals::DeferSignals() {
  sigemptyset(&deferred_);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    sigaddset(&deferred_, sig);
  }
  (void)::pthread_sigmask(SIG_BLOCK, &deferred_, &previous_);
}

DeferSignals::~DeferSignals() {
  // A pending signal is delivered here, before pthread_sigmask returns.
  (void)::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

bool DeferSignals::Pending() const {
  sigset_t pending;
  sigemptyset(&pending);
  if (::sigpending(&pending) != 0) {
    return false;
  }
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    if (sigismember(&pending, sig) == 1 && sigismember(&previous_, sig) != 1) {
      return true;
    }
  }
  return false;
}

bool DeferSignals::Discard() {
  // Only the signals this object blocked: one the caller had blocked before stays pending.
  sigset_t ours;
  sigemptyset(&ours);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    if (sigismember(&previous_, sig) != 1) {
      sigaddset(&ours, sig);
    }
  }
  bool any = false;
  const timespec now{0, 0};
  while (::sigtimedwait(&ours, nullptr, &now) > 0) {
    any = true;
  }
  return any;
}

}  // namespace anchor
