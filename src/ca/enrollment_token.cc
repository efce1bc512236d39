// SPDX-License-Identifier: Apache-2.0
// File: enrollment_token.cc: token creation and the checks of a redemption.
#include "ca/enrollment_token.h"

#include <algorithm>

#include "ca/credential_rules.h"
#include "ca/grant.h"
#include "core/duration.h"
#include "core/text.h"
#include "crypto/digest.h"

namespace anchor::ca {
namespace {

constexpr size_t kTokenBytes = 32;

}  // namespace

Error TokenRefusal() {
  return Error(Code::kUnauthenticated,
               "the enrollment token is unknown, expired or already used; ask for a new one");
}

std::string HashToken(std::string_view token) { return crypto::Sha256Hex(token); }

Result<CreatedToken> CreateToken(const IssuancePolicy& policy, store::Store& store, Rng& rng,
                                 const Clock& clock, const NameRequest& names, Profile profile,
                                 std::chrono::seconds ttl) {
  if (ttl <= std::chrono::seconds(0) || ttl > kMaxTokenTtl) {
    return Error(Code::kInvalidArgument, "a token's lifetime is " + FormatDuration(ttl) +
                                             "; give one longer than zero and at most 366d");
  }
  ANCHOR_TRY(MayObtain(Credential::kToken, profile));
  ANCHOR_TRY(policy.Admits(names, profile));
  std::vector<uint8_t> raw(kTokenBytes);
  ANCHOR_TRY(rng.Fill(raw));
  std::string text = std::string(kTokenPrefix) + HexEncode(raw);
  CreatedToken out{SecretBytes(text), {}};
  ::explicit_bzero(text.data(), text.size());
  ::explicit_bzero(raw.data(), raw.size());
  const int64_t now = UnixSeconds(clock.Now());
  out.record.hash = HashToken({out.token.data(), out.token.size()});
  out.record.common_name = names.common_name;
  for (const auto& san : names.sans) {
    out.record.sans.push_back(san.ToString());
  }
  out.record.profile = std::string(ProfileName(profile));
  out.record.created_at = now;
  out.record.expires_at = now + ttl.count();
  ANCHOR_TRY(store.InsertToken(out.record, now));
  return out;
}

Result<store::TokenRecord> LookUpToken(store::Store& store, const SecretBytes& token) {
  const std::string_view text(token.data(), token.size());
  if (!text.starts_with(kTokenPrefix)) {
    return TokenRefusal();
  }
  const std::string hash = HashToken(text);
  auto record = store.FindToken(hash);
  if (!record) {
    return record.error().code() == Code::kNotFound ? TokenRefusal() : record.error();
  }
  // The lookup was by hash; compare again without early exit so no timing depends on the match.
  if (!crypto::ConstantTimeEquals(record->hash, hash)) {
    return TokenRefusal();
  }
  return record;
}

Result<store::TokenRecord> RedeemableToken(store::Store& store, const SecretBytes& token,
                                           Clock::time_point now) {
  ANCHOR_ASSIGN_OR_RETURN(store::TokenRecord record, LookUpToken(store, token));
  if (record.used_at != 0 || record.expires_at <= UnixSeconds(now)) {
    return TokenRefusal();
  }
  return record;
}

Result<NameRequest> BindNames(const store::TokenRecord& token, const NameRequest& requested,
                              const CaConfig& config) {
  NameRequest bound{token.common_name, {}};
  if (!requested.common_name.empty() && requested.common_name != token.common_name) {
    return Error(Code::kPermissionDenied, "the request's CN '" + requested.common_name +
                                              "' is not the token's '" + token.common_name + "'");
  }
  std::vector<std::string> allowed = token.sans;
  // The CN's own names (as a DNS name or IP, the role URI its profile derives) may be asked for.
  if (auto profile = ParseProfile(token.profile)) {
    const std::vector<std::string> own = NamesOfCommonName(config, *profile, token.common_name);
    allowed.insert(allowed.end(), own.begin(), own.end());
  }
  for (const auto& asked : requested.sans) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName san, crypto::NormalizeGeneralName(asked));
    if (std::find(allowed.begin(), allowed.end(), san.ToString()) == allowed.end()) {
      return Error(Code::kPermissionDenied,
                   "the request names " + san.ToString() + ", which the token does not allow");
    }
    bound.sans.push_back(std::move(san));
  }
  if (requested.sans.empty()) {
    for (const std::string& s : token.sans) {
      ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName name, crypto::ParseGeneralName(s));
      bound.sans.push_back(std::move(name));
    }
  }
  return bound;
}

}  // namespace anchor::ca
