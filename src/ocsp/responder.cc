// SPDX-License-Identifier: Apache-2.0
// File: responder.cc: status lookup for each CertID and the signed answer.
#include "ocsp/responder.h"

#include "core/text.h"
#include "crypto/ocsp.h"

namespace anchor::ocsp {

Responder::OcspAnswer Responder::Answer(std::span<const uint8_t> request_der) const {
  auto request = crypto::OcspRequest::FromDer(request_der);
  if (!request) {
    //= https://www.rfc-editor.org/rfc/rfc6960#section-2.3
    //# malformedRequest (1), -- Illegal confirmation request
    return {crypto::OcspErrorResponse(crypto::OcspErrorStatus::kMalformedRequest), ""};
  }
  const Issuer* issuer = IssuerFor(*request);
  if (issuer == nullptr) {
    //= https://www.rfc-editor.org/rfc/rfc5019#section-2.2.3
    //# The response "unauthorized" is returned in cases where the client is not authorized to
    //# make this query to this server or the server is not capable of responding
    //# authoritatively.
    // A response signed by this CA about another issuer's certificate would be rejected by
    // relying parties anyway (the signer is not that certificate's issuer).
    return {crypto::OcspErrorResponse(crypto::OcspErrorStatus::kUnauthorized), ""};
  }
  if (request->HasNonce() || request->Count() != 1) {
    return Sign(*request, *issuer);
  }
  const std::vector<uint8_t> id = request->CertIdDer(0);
  const std::string key(id.begin(), id.end());
  if (auto hit = FromCache(key)) {
    return {std::move(hit).value(), ""};
  }
  auto cursor = store_.LatestRevocation();  // before the status, so a later revocation is seen
  OcspAnswer answer = Sign(*request, *issuer);
  // Only a signed answer is kept: a tryLater or internalError cached would outlast its cause.
  if (cursor && answer.problem.empty()) {
    std::lock_guard lock(mu_);
    if (cache_.size() >= kCacheEntries) {
      cache_.clear();
    }
    cache_[key] = Cached{answer.der, clock_.Now() + validity_ / 2, *cursor};
  }
  return answer;
}

std::optional<std::vector<uint8_t>> Responder::FromCache(const std::string& key) const {
  Cached entry;
  {
    std::lock_guard lock(mu_);
    const auto it = cache_.find(key);
    if (it == cache_.end()) {
      return std::nullopt;
    }
    entry = it->second;
  }
  if (clock_.Now() >= entry.refresh_after) {
    return std::nullopt;
  }
  // Any revocation since it was signed may concern this certificate: one indexed lookup tells.
  auto latest = store_.LatestRevocation();
  if (!latest || *latest > entry.revocation_cursor) {
    return std::nullopt;
  }
  return std::move(entry.der);
}

const Issuer* Responder::IssuerFor(const crypto::OcspRequest& request) const {
  if (request.Count() == 0 || issuers_.empty()) {
    return issuers_.empty() ? nullptr : &issuers_.front();  // nothing to choose by
  }
  //= https://www.rfc-editor.org/rfc/rfc6960#section-4.1.1
  //# issuerNameHash is the hash of the issuer's distinguished name (DN). [...] issuerKeyHash is
  //# the hash of the issuer's public key.
  // After a rotation each generation answers for its own certificates: the CertID's hashes
  // choose it.
  for (const Issuer& issuer : issuers_) {
    bool all = true;
    for (size_t i = 0; i < request.Count() && all; ++i) {
      all = request.IssuedBy(i, issuer.cert);
    }
    if (all) {
      return &issuer;
    }
  }
  return nullptr;
}

Responder::OcspAnswer Responder::Sign(const crypto::OcspRequest& request,
                                      const Issuer& issuer) const {
  std::vector<crypto::OcspCertStatus> statuses;
  for (size_t i = 0; i < request.Count(); ++i) {
    crypto::OcspCertStatus st;  // unknown: our issuer, but a serial we never issued
    auto record = store_.FindBySerial(HexEncode(request.SerialAt(i)));
    if (!record && record.error().code() == Code::kUnavailable) {
      //= https://www.rfc-editor.org/rfc/rfc6960#section-2.3
      //# The response "tryLater" indicates that the service exists but is temporarily unable
      //# to respond.
      return {crypto::OcspErrorResponse(crypto::OcspErrorStatus::kTryLater),
              record.error().message()};
    }
    if (!record && record.error().code() != Code::kNotFound) {
      return {crypto::OcspErrorResponse(crypto::OcspErrorStatus::kInternalError),
              record.error().message()};
    }
    // A serial another generation issued is not this issuer's to answer for.
    if (record && record->issuer_fingerprint == issuer.fingerprint) {
      st.kind = record->revoked ? crypto::OcspCertStatus::Kind::kRevoked
                                : crypto::OcspCertStatus::Kind::kGood;
      st.revoked_at = FromUnixSeconds(record->revoked_at);
      st.reason = record->revocation_reason;
    }
    statuses.push_back(st);
  }
  const Clock::time_point now = clock_.Now();
  auto response = crypto::SignOcspResponse(request, statuses, issuer.signer.cert, issuer.signer.key,
                                           now, now + validity_);
  if (!response) {
    // A signing key that is gone for now (a PKCS#11 token) will pass: tryLater, as the store's.
    return {crypto::OcspErrorResponse(response.error().code() == Code::kUnavailable
                                          ? crypto::OcspErrorStatus::kTryLater
                                          : crypto::OcspErrorStatus::kInternalError),
            response.error().message()};
  }
  return {std::move(response).value(), ""};
}

}  // namespace anchor::ocsp
