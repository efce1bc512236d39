// SPDX-License-Identifier: Apache-2.0
// File: csr.h: PKCS#10 certificate signing requests: parse, check, create.
#pragma once

#include <openssl/x509.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/general_name.h"
#include "crypto/key.h"
#include "crypto/ossl_ptr.h"

namespace anchor::crypto {

// Csr is an immutable PKCS#10 request. Nothing in it is trusted until `VerifySignature` passes,
// and even then only its public key and the names policy allows are used.
class Csr final {
 public:
  // Parse reads a PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER request.
  static Result<Csr> Parse(std::string_view data);
  // FromDer parses exactly one DER request; trailing bytes are kInvalidArgument.
  static Result<Csr> FromDer(std::span<const uint8_t> der);
  // Create builds a request for `key` with subject CN=`common_name` and `sans` in an extension
  // request, signed by `key` (the device side: the key never leaves the caller).
  static Result<Csr> Create(const PrivateKey& key, std::string_view common_name,
                            const std::vector<GeneralName>& sans);

  // VerifySignature checks proof of possession: the request is signed by the key it carries.
  // A bad signature is kInvalidArgument.
  Status VerifySignature() const;

  std::string Subject() const;
  std::string CommonName() const;
  // SubjectAltNames reads the names of an extensionRequest SAN; unknown kinds go to `unknown`.
  std::vector<GeneralName> SubjectAltNames(std::vector<std::string>* unknown = nullptr) const;
  // RequestedExtensions names every requested extension (short name or OID).
  std::vector<std::string> RequestedExtensions() const;
  // RequestsCa is true when the request asks for basicConstraints CA:TRUE.
  bool RequestsCa() const;
  PublicKey GetPublicKey() const;

  std::vector<uint8_t> ToDer() const;
  std::string ToPem() const;

  X509_REQ* Native() const { return req_.get(); }  // borrowed

 private:
  explicit Csr(ossl::Ptr<X509_REQ> req) : req_(std::move(req)) {}
  ossl::Ptr<X509_REQ> req_;
};

}  // namespace anchor::crypto
