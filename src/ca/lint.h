// SPDX-License-Identifier: Apache-2.0
// File: lint.h: checks a certificate, anchor's or anyone's, against what mTLS peers need.
#pragma once

#include <vector>

#include "ca/report.h"
#include "core/clock.h"
#include "crypto/certificate.h"

namespace anchor::ca {

// LintLimits are the validity limits lint holds certificates to.
struct LintLimits {
  int max_leaf_days = 397;  // CA/Browser Forum limit for TLS server certificates
};

// Lint returns every finding about `cert` at `now`. Ids: not-v3, no-basic-constraints,
// ca-on-leaf, no-san, cn-only-identity, weak-rsa, sha1-signature, missing-eku,
// validity-above-policy, missing-skid, missing-akid, expired, not-yet-valid,
// key-usage-not-critical, basic-constraints-not-critical, cn-not-in-san, short-serial;
// key-parameters (explicit EC parameters, a point off its curve, a bad RSA exponent),
// invalid-name (a SAN that is not a valid name of its kind, e.g. a non-ASCII mailbox),
// invalid-common-name. Given `issuers` (its issuer first, up to the root), also
// name-constraints (a name outside an issuer's constraints).
Report Lint(const crypto::Certificate& cert, Clock::time_point now, const LintLimits& limits = {},
            const std::vector<crypto::Certificate>& issuers = {});

}  // namespace anchor::ca
