// SPDX-License-Identifier: Apache-2.0
// File: deferred_signals.h: holding back Ctrl-C and kill while files that must not be left
// behind (a staging directory with plaintext keys) exist.
#pragma once

#include <signal.h>

namespace anchor {

// DeferSignals blocks SIGINT, SIGTERM, SIGHUP and SIGQUIT in the calling thread for its
// lifetime. One that arrives meanwhile stays pending: Pending() tells, so that long work can
// stop early, and the destructor unblocks them, so that it then takes its usual effect (the
// process ends, killed by it) only after the objects made after this one were destroyed (a
// staging directory removed). Declare it before what it protects. SIGKILL cannot be held back:
// callers also remove what a killed earlier run left (see home/restore.cc).
class DeferSignals final {
 public:
  DeferSignals();
  ~DeferSignals();
  DeferSignals(const DeferSignals&) = delete;
  DeferSignals& operator=(const DeferSignals&) = delete;

  // Pending is true once one of the deferred signals has arrived.
  bool Pending() const;

  // Discard takes back the deferred signals that arrived, so that they no longer end the process:
  // for when the work they asked to stop is already done and in place (stopping now would only
  // report a finished restore as failed). It says whether any had arrived.
  bool Discard();

 private:
  sigset_t deferred_{};
  sigset_t previous_{};
};

}  // namespace anchor
