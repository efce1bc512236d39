// SPDX-License-Identifier: Apache-2.0
// File: enrollment_token.h: one-time enrollment tokens: creation, hashing, redemption checks.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "ca/config.h"
#include "ca/issuance_policy.h"
#include "ca/profile.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/secret_bytes.h"
#include "store/store.h"

namespace anchor::ca {

// kTokenPrefix marks anchor tokens so secret scanners and humans recognise them.
inline constexpr std::string_view kTokenPrefix = "anc_";

// kMaxTokenTtl bounds how long a token may be redeemed: a year, so a forgotten token does not
// stay a way in for good.
inline constexpr std::chrono::seconds kMaxTokenTtl{366 * 86400};

// CreatedToken is a new token: `token` is shown once and never stored; `record` is what the
// store keeps (its hash and binding).
struct CreatedToken {
  SecretBytes token;
  store::TokenRecord record;
};

// CreateToken makes a token for `names` under `profile`, valid for `ttl` from now: 32 bytes from
// `rng`, hex, prefixed. The names must already pass `policy` (the profile's rules and the CA's
// name constraints), so no token can be made for a name the CA would refuse, and the profile
// must be one a token may obtain (`MayObtain`); `ttl` is in (0, kMaxTokenTtl], else
// kInvalidArgument. The record is stored (and audited) before
// returning.
Result<CreatedToken> CreateToken(const IssuancePolicy& policy, store::Store& store, Rng& rng,
                                 const Clock& clock, const NameRequest& names, Profile profile,
                                 std::chrono::seconds ttl);

// HashToken is the stored form of a token: SHA-256, lower-case hex.
std::string HashToken(std::string_view token);

// TokenRefusal is the one answer to a token that cannot be redeemed (unknown, expired or used):
// kUnauthenticated, the same words whatever the cause, so a caller learns nothing about which
// tokens exist.
Error TokenRefusal();

// LookUpToken finds `token` by its hash and compares it in constant time, used or not, expired
// or not; unknown or malformed is `TokenRefusal()`. Whether it may be redeemed is the caller's
// question (`RedeemableToken`, `Authenticator`).
Result<store::TokenRecord> LookUpToken(store::Store& store, const SecretBytes& token);

// RedeemableToken is `LookUpToken` for a token unused and unexpired at `now`; else
// `TokenRefusal()`, so a caller learns nothing about which tokens exist. It does not consume
// the token: the store does that in the transaction that records the certificate.
Result<store::TokenRecord> RedeemableToken(store::Store& store, const SecretBytes& token,
                                           Clock::time_point now);

// BindNames returns the names to issue for a token redemption: the token's CN, and the request's
// SANs when it asks for some (each, in normal form, must be one the token allows) or else the
// token's SANs. A name outside the token's is kPermissionDenied.
Result<NameRequest> BindNames(const store::TokenRecord& token, const NameRequest& requested,
                              const CaConfig& config);

}  // namespace anchor::ca
