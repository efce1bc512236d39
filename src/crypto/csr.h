// SPDX-License-Identifier: Apache-2.0
// File: csr.h: PKCS#10 certificate signing requests: parse, check, create.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/general_name.h"
#include "crypto/key.h"
#include "crypto/ossl_fwd.h"

namespace anchor::crypto {

// RequestedContent is what a PKCS#10 request asks for. A request is a request: policy decides
// what of it is issued, and nothing but the key and the names that policy allows ever is.
struct RequestedContent {
  std::string common_name;                        // the subject's CN, UTF-8; empty when absent
  std::vector<GeneralName> sans;                  // the kinds anchor issues, as written
  std::vector<std::string> unknown_san_kinds;     // e.g. "othername", "dirname"
  std::vector<std::string> other_extensions;      // requested extensions besides the SAN
  std::vector<std::string> other_subject_fields;  // subject attributes besides the CN, "O=Acme"
  bool requests_ca = false;                       // basicConstraints cA TRUE was asked for
};

// CsrAttribute is an RFC 2986 attribute of a request whose one value is an OCTET STRING: how a
// device sends evidence beside its request (crypto/tpm_evidence.h). `oid` is dotted.
struct CsrAttribute {
  std::string oid;
  std::vector<uint8_t> value;
};

// CsrAttrsDer is the DER of an EST CSR attributes answer (RFC 7030 4.5.2: CsrAttrs, a SEQUENCE
// of AttrOrOID) that asks for the attributes `oids` (dotted) by OID alone.
Result<std::vector<uint8_t>> CsrAttrsDer(const std::vector<std::string>& oids);

// Csr is an immutable PKCS#10 request. Nothing in it is trusted until `VerifySignature` passes,
// and even then only its public key and the names policy allows are used.
class Csr final {
 public:
  // Parse reads a PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER request.
  static Result<Csr> Parse(std::string_view data);
  // FromDer parses exactly one DER request; trailing bytes are kInvalidArgument.
  static Result<Csr> FromDer(std::span<const uint8_t> der);
  // Create builds a request for `key` with subject CN=`common_name` and `sans` in an extension
  // request, signed by `key` (the device side: the key never leaves the caller). The names are
  // checked as the CA checks them (names/), so no request is written that the CA must refuse
  // for its syntax: a name not in normal form (`NormalizeGeneralName`) is kInvalidArgument.
  // `attributes` are added to the request's attributes (RFC 2986 4.1), each once.
  static Result<Csr> Create(const PrivateKey& key, std::string_view common_name,
                            const std::vector<GeneralName>& sans,
                            const std::vector<CsrAttribute>& attributes = {});

  // OctetStringAttribute is the value of attribute `oid` (dotted): nullopt when the request has
  // none; kInvalidArgument naming it when it occurs twice, holds more or less than one value, or
  // its value is not an OCTET STRING.
  Result<std::optional<std::vector<uint8_t>>> OctetStringAttribute(std::string_view oid) const;

  // VerifySignature checks proof of possession: the request is signed by the key it carries.
  // The key's parameters are checked first (`CheckKeyParameters`): a signature by a malformed
  // key proves nothing, and a huge one costs time before anyone is authenticated. A bad key or
  // a bad signature is kInvalidArgument.
  Status VerifySignature() const;

  // ReadContent reads what the request asks for, strictly: a request that says something anchor
  // would otherwise read differently from its author is kInvalidArgument naming the part: an
  // extensionRequest attribute that does not decode, or more than one; two extensions of one
  // type; a subjectAltName that does not decode or holds no name; two common names.
  Result<RequestedContent> ReadContent() const;

  std::string Subject() const;
  std::string CommonName() const;
  // RequestedExtensions names every requested extension (short name or OID), for display; it
  // is empty when the extension request does not decode (`ReadContent` says why).
  std::vector<std::string> RequestedExtensions() const;
  PublicKey GetPublicKey() const;

  std::vector<uint8_t> ToDer() const;
  std::string ToPem() const;

 private:
  friend struct internal::Handles;  // the OpenSSL object, for crypto/internal/handles.h
  explicit Csr(ossl::Ptr<X509_req_st> req) : req_(std::move(req)) {}
  ossl::Ptr<X509_req_st> req_;
};

}  // namespace anchor::crypto
