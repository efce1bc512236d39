// SPDX-License-Identifier: Apache-2.0
// File: renewal_schedule.h: when to renew, and how long to wait after a failure.
#pragma once

#include <chrono>

#include "core/clock.h"
#include "core/rng.h"

namespace anchor::agent {

// kDefaultRenewAt is the share of a certificate's lifetime after which it is renewed: two thirds
// leaves a third of the lifetime to ride out an unreachable CA.
inline constexpr double kDefaultRenewAt = 2.0 / 3.0;

// RenewalTime is not_before + `fraction` of the lifetime (fraction in [0, 1]).
Clock::time_point RenewalTime(Clock::time_point not_before, Clock::time_point not_after,
                              double fraction);

// RenewalJitter draws how much earlier than RenewalTime a certificate is renewed: up to 1/20 of
// its lifetime, so that a fleet enrolled together does not renew together (STYLE.md 5.4).
std::chrono::seconds RenewalJitter(Clock::time_point not_before, Clock::time_point not_after,
                                   Rng& rng);

// RetryDelay is the wait after `failures` consecutive failed attempts (1, 2, ...): exponential
// from 5 s, capped at 1 h, with full jitter (a uniform draw from [delay/2, delay]) so that a
// fleet that lost its CA at the same moment does not come back at the same moment.
std::chrono::seconds RetryDelay(int failures, Rng& rng);

}  // namespace anchor::agent
