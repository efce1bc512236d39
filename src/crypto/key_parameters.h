// SPDX-License-Identifier: Apache-2.0
// File: key_parameters.h: is a public key well formed enough that a signature by it proves
// anything? Checked before any signature is verified, and before anything is issued for it.
#pragma once

#include "core/error.h"
#include "crypto/key.h"

namespace anchor::crypto {

// kMaxRsaModulusBits bounds the RSA keys anchor verifies: a larger modulus costs time in every
// check and is never one of the key types policy allows.
inline constexpr int kMaxRsaModulusBits = 8192;

// CheckKeyParameters refuses, with kInvalidArgument and one line naming the problem:
// - algorithms anchor does not verify signatures of (DSA, DH, X25519, ...);
// - EC keys with explicit curve parameters (RFC 5480 2.1.1: namedCurve only), a point in
//   compressed or hybrid form (Go cannot parse a certificate holding one), or a point not on
//   its curve;
// - RSA keys with an even modulus, a modulus above kMaxRsaModulusBits, or a public exponent
//   that is even, below 65537 (e = 1 makes the "signature" the padded digest itself, so it
//   proves nothing), or 2^31 or more (Go and Windows cannot use it).
// It is cheap next to a signature check: no primality test, one point check.
Status CheckKeyParameters(const PublicKey& key);

}  // namespace anchor::crypto
