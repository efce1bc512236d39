// SPDX-License-Identifier: Apache-2.0
// File: responder.h: the OCSP responder: DER OCSPRequest in, signed DER OCSPResponse out.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "core/clock.h"
#include "crypto/certificate.h"
#include "crypto/key.h"
#include "store/store.h"

namespace anchor::ocsp {

// Responder answers for the certificates `issuer` issued, from the store, signing with `key`
// (the issuer's own key: a CA-designated responder is a later step). It borrows everything it
// is given, which must outlive it. Safe to call from several threads (the store serialises).
class Responder final {
 public:
  Responder(const crypto::Certificate& issuer, const crypto::PrivateKey& key, store::Store& store,
            const Clock& clock, std::chrono::seconds validity = std::chrono::hours(1))
      : issuer_(issuer), key_(key), store_(store), clock_(clock), validity_(validity) {}

  // Respond always returns a DER OCSPResponse: "successful" with one SingleResponse per request
  // entry (good, revoked with time and reason, or unknown for a serial of ours that was never
  // issued), "unauthorized" when an entry names another issuer, "malformedRequest" for bytes
  // that are not a request, "internalError" if the store fails. It never throws.
  std::vector<uint8_t> Respond(std::span<const uint8_t> request_der) const;

 private:
  const crypto::Certificate& issuer_;
  const crypto::PrivateKey& key_;
  store::Store& store_;
  const Clock& clock_;
  std::chrono::seconds validity_;
};

}  // namespace anchor::ocsp
