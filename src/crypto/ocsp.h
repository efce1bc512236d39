// SPDX-License-Identifier: Apache-2.0
// File: ocsp.h: RFC 6960 requests and responses over OpenSSL's OCSP API.
#pragma once

#include <openssl/ocsp.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/key.h"
#include "crypto/ossl_ptr.h"

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

  OCSP_REQUEST* Native() const { return req_.get(); }  // borrowed

 private:
  explicit OcspRequest(ossl::Ptr<OCSP_REQUEST> req) : req_(std::move(req)) {}
  ossl::Ptr<OCSP_REQUEST> req_;
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

// OcspErrorResponse is an unsigned OCSPResponse with an error status, e.g.
// OCSP_RESPONSE_STATUS_MALFORMEDREQUEST.
std::vector<uint8_t> OcspErrorResponse(int response_status);

}  // namespace anchor::crypto
