// SPDX-License-Identifier: Apache-2.0
// File: ocsp.h: RFC 6960 requests and responses over OpenSSL's OCSP API.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/key.h"
#include "crypto/ossl_fwd.h"

namespace anchor::crypto {

// OcspRequest is a parsed RFC 6960 OCSPRequest. Each entry is a
//   CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
//                         issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
class OcspRequest final {
 public:
  // FromDer parses exactly one DER OCSPRequest with at least one entry.
  static Result<OcspRequest> FromDer(std::span<const uint8_t> der);

  size_t Count() const;
  // SerialAt is the serial of entry `i`, big-endian without leading zeros.
  std::vector<uint8_t> SerialAt(size_t i) const;
  // IssuedBy tells whether entry `i` names `issuer` (name and key hash, in its hash algorithm).
  bool IssuedBy(size_t i, const Certificate& issuer) const;
  // CertIdDer is entry `i`'s CertID, DER: equal requests for one certificate have equal bytes.
  std::vector<uint8_t> CertIdDer(size_t i) const;
  // HasNonce is true when the request carries a nonce extension (RFC 6960 4.4.1); its response
  // must then be signed afresh.
  bool HasNonce() const;

 private:
  friend struct internal::Handles;  // the OpenSSL object, for crypto/internal/handles.h
  explicit OcspRequest(ossl::Ptr<ocsp_request_st> req) : req_(std::move(req)) {}
  ossl::Ptr<ocsp_request_st> req_;
};

// OcspCertStatus is the answer for one entry (RFC 6960 4.2.1 CertStatus).
struct OcspCertStatus {
  enum class Kind { kGood, kRevoked, kUnknown };
  Kind kind = Kind::kUnknown;
  Clock::time_point revoked_at;
  int reason = 0;  // CRLReason
};

// SignOcspResponse answers `request` with one status per entry (in order), signed by `signer`
// with `key`, the signer's certificate included, the request's nonce echoed.
Result<std::vector<uint8_t>> SignOcspResponse(const OcspRequest& request,
                                              const std::vector<OcspCertStatus>& statuses,
                                              const Certificate& signer, const PrivateKey& key,
                                              Clock::time_point this_update,
                                              Clock::time_point next_update);

//= https://www.rfc-editor.org/rfc/rfc6960#section-4.2.1
//# OCSPResponseStatus ::= ENUMERATED {
//#     successful            (0),  -- Response has valid confirmations
//#     malformedRequest      (1),  -- Illegal confirmation request
//#     internalError         (2),  -- Internal error in issuer
//#     tryLater              (3),  -- Try again later
//#                                 -- (4) is not used
//#     sigRequired           (5),  -- Must sign the request
//#     unauthorized          (6)   -- Request unauthorized
//# }
// OcspErrorStatus is an OCSPResponseStatus but successful (only `SignOcspResponse` answers that).
enum class OcspErrorStatus {
  kMalformedRequest = 1,
  kInternalError = 2,
  kTryLater = 3,
  kSigRequired = 5,
  kUnauthorized = 6,
};

// OcspErrorResponse is an unsigned OCSPResponse with `status` and no responseBytes.
std::vector<uint8_t> OcspErrorResponse(OcspErrorStatus status);

}  // namespace anchor::crypto
