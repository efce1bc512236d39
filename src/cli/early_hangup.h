// SPDX-License-Identifier: Apache-2.0
// File: early_hangup.h: SIGHUP before `anchor serve` serves. Its default action ends the
// process, and the server catches it only once it is built (after the CA keys are read, which
// with a passphrase can take a while): a reload asked for in that window (systemctl reload
// right after start) must neither kill serve nor be lost.
#pragma once

namespace anchor::cli {

// CatchEarlyHangup installs a SIGHUP handler that only remembers the signal. Call it first
// thing in `anchor serve`; the server's own handler replaces it when the server is built.
void CatchEarlyHangup();

// EarlyHangupCaught says whether a SIGHUP came while CatchEarlyHangup's handler was in place;
// serve then reloads once as soon as it serves.
bool EarlyHangupCaught();

}  // namespace anchor::cli
