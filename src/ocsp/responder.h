// SPDX-License-Identifier: Apache-2.0
// File: responder.h: the OCSP responder: DER OCSPRequest in, signed DER OCSPResponse out.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "crypto/certificate.h"
#include "crypto/key.h"
#include "crypto/ocsp.h"
#include "store/store.h"

namespace anchor::ocsp {

// Signer is who signs the responses: the issuing CA itself, or a delegated OCSP signer that the
// issuer certified with id-kp-OCSPSigning (RFC 6960 4.2.2.2).
struct Signer {
  const crypto::Certificate& cert;
  const crypto::PrivateKey& key;
};

// Issuer is one CA the responder answers for: its certificate, who signs in its name, and its
// SHA-256 fingerprint (the store's `issuer_fingerprint` of what it issued).
struct Issuer {
  const crypto::Certificate& cert;
  Signer signer;
  std::string fingerprint;
};

// Responder answers for the certificates its issuers issued (every intermediate generation that
// still serves, after a rotation), from the store; each answer is signed for the issuer the
// request's CertID names. It borrows everything it is given, which must outlive it. Safe to
// call from several threads.
//
// Requests without a nonce for one certificate (the RFC 5019 profile that browsers, nginx
// stapling and GET requests use) are answered from a cache: a response is reused until half its
// validity has passed or a revocation has been recorded since it was signed
// (`Store::LatestRevocation`, one indexed lookup per request), so a status change is never
// hidden by the cache.
class Responder final {
 public:
  Responder(std::vector<Issuer> issuers, store::Store& store, const Clock& clock,
            std::chrono::seconds validity = std::chrono::hours(1))
      : issuers_(std::move(issuers)), store_(store), clock_(clock), validity_(validity) {}
  Responder(const crypto::Certificate& issuer, Signer signer, store::Store& store,
            const Clock& clock, std::chrono::seconds validity = std::chrono::hours(1))
      : Responder({Issuer{issuer, signer, issuer.Sha256Fingerprint()}}, store, clock, validity) {}

  // OcspAnswer is a DER OCSPResponse and, when it is not "successful" through a fault of ours,
  // why: for the server's log, never for the client.
  struct OcspAnswer {
    std::vector<uint8_t> der;
    std::string problem;
  };

  // Answer always returns a DER OCSPResponse: "successful" with one SingleResponse per request
  // entry (good, revoked with time and reason, or unknown for a serial that issuer never
  // issued), "unauthorized" when an entry names an issuer not ours, or entries name different
  // issuers (one response has one signer), "malformedRequest" for bytes
  // that are not a request, "tryLater" if the store cannot be read now (locked, I/O error) or
  // the signing key is unavailable for now (a PKCS#11 token gone), "internalError" if it fails
  // otherwise. Only "successful" answers are cached. It never throws.
  OcspAnswer Answer(std::span<const uint8_t> request_der) const;
  // Respond is Answer's DER alone.
  std::vector<uint8_t> Respond(std::span<const uint8_t> request_der) const {
    return Answer(request_der).der;
  }

 private:
  struct Cached {
    std::vector<uint8_t> der;
    Clock::time_point refresh_after;
    int64_t revocation_cursor;  // the newest revocation when it was signed
  };
  // kCacheEntries bounds the cache; when full it is emptied (simple, and refills at signing rate).
  static constexpr size_t kCacheEntries = 100000;

  // IssuerFor is the issuer every entry of `request` names, or nullptr.
  const Issuer* IssuerFor(const crypto::OcspRequest& request) const;
  // Sign answers a request whose entries all name `issuer` (Respond checked), from the store.
  OcspAnswer Sign(const crypto::OcspRequest& request, const Issuer& issuer) const;
  std::optional<std::vector<uint8_t>> FromCache(const std::string& key) const;

  std::vector<Issuer> issuers_;
  store::Store& store_;
  const Clock& clock_;
  std::chrono::seconds validity_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Cached> cache_;  // CertID DER -> response
};

}  // namespace anchor::ocsp
