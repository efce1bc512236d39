// SPDX-License-Identifier: Apache-2.0
// File: certificate.h: an immutable parsed X.509 certificate and the fields people check.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/general_name.h"
#include "crypto/key.h"
#include "crypto/ossl_fwd.h"

namespace anchor::crypto {

// BasicConstraints mirrors RFC 5280 BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
//   pathLenConstraint INTEGER (0..MAX) OPTIONAL }.
struct BasicConstraints {
  bool is_ca = false;
  std::optional<long> path_len;
  bool critical = false;
};

// NameSubtree is the base of one RFC 5280 GeneralSubtree. For an IP subtree `value` is
// "address/prefix" and `ip` the address and mask octets (8 or 32). Forms anchor does not match
// (directoryName, otherName, ...) keep `supported` false and a description in `value`.
struct NameSubtree {
  GeneralName::Kind kind = GeneralName::Kind::kDns;
  std::string value;
  std::vector<uint8_t> ip;
  bool supported = true;
  // ToString is "dns:example.com", "ip:10.0.0.0/8", ...
  std::string ToString() const;
};

// NameConstraints mirrors RFC 5280 NameConstraints ::= SEQUENCE {
//   permittedSubtrees [0] GeneralSubtrees OPTIONAL, excludedSubtrees [1] GeneralSubtrees OPTIONAL }
struct NameConstraints {
  std::vector<NameSubtree> permitted;
  std::vector<NameSubtree> excluded;
  bool critical = false;
};

// Extension OIDs (dotted) for `Certificate::HasExtension`.
inline constexpr std::string_view kOidKeyUsage = "2.5.29.15";  // RFC 5280 4.2.1.3
//= https://www.rfc-editor.org/rfc/rfc6960#section-4.2.2.2.1
//# id-pkix-ocsp-nocheck OBJECT IDENTIFIER ::= { id-pkix-ocsp 5 }
inline constexpr std::string_view kOidOcspNoCheck = "1.3.6.1.5.5.7.48.1.5";

// Certificate is an immutable X.509 certificate. It is cheap to copy (a reference count).
class Certificate final {
 public:
  // FromDer parses exactly one DER certificate; trailing bytes are kInvalidArgument.
  static Result<Certificate> FromDer(std::span<const uint8_t> der);
  // FromPem parses the first "CERTIFICATE" block of `pem`.
  static Result<Certificate> FromPem(std::string_view pem);
  // ParseAll parses every certificate of a PEM bundle, or one DER certificate. An input with no
  // certificate is kInvalidArgument.
  static Result<std::vector<Certificate>> ParseAll(std::string_view data);

  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;

  std::vector<uint8_t> ToDer() const;
  std::string ToPem() const;

  std::vector<uint8_t> SerialBytes() const;
  // SerialHex is lower-case hex without separators, the form the store and CLI use.
  std::string SerialHex() const;
  // Version is 1, 2 or 3 (RFC 5280 4.1.2.1 encodes v1 as 0, ... v3 as 2).
  int Version() const;
  // Subject and Issuer are RFC 2253 strings, e.g. "CN=device-1,O=anchor".
  std::string Subject() const;
  std::string Issuer() const;
  std::string CommonName() const;
  // CommonNameCount is how many CN attributes the subject holds: a certificate that names its
  // holder by one needs exactly one (CommonName returns the last).
  int CommonNameCount() const;
  Clock::time_point NotBefore() const;
  Clock::time_point NotAfter() const;
  std::vector<GeneralName> SubjectAltNames() const;
  // HasExtension tells whether an extension with the dotted `oid` is present, e.g.
  // kOidKeyUsage.
  bool HasExtension(std::string_view oid) const;
  std::optional<BasicConstraints> GetBasicConstraints() const;
  // GetNameConstraints returns the nameConstraints of a CA certificate, or nullopt without one.
  std::optional<NameConstraints> GetNameConstraints() const;
  bool IsCa() const;
  // KeyUsageNames are e.g. {"digitalSignature", "keyCertSign"}; empty when absent.
  std::vector<std::string> KeyUsageNames() const;
  bool KeyUsageCritical() const;
  // ExtendedKeyUsageNames are short names, e.g. {"serverAuth", "clientAuth"}.
  std::vector<std::string> ExtendedKeyUsageNames() const;
  // PolicyOids are the certificatePolicies' policy identifiers (RFC 5280 4.2.1.4), dotted.
  std::vector<std::string> PolicyOids() const;
  std::string SubjectKeyIdHex() const;
  std::string AuthorityKeyIdHex() const;
  std::vector<std::string> CrlDistributionPoints() const;
  std::vector<std::string> OcspUrls() const;
  std::vector<std::string> CaIssuerUrls() const;
  // ExtensionNames lists every extension by short name (or dotted OID), "!" marking critical.
  std::vector<std::string> ExtensionNames() const;
  // Sha256Fingerprint is lower-case hex of SHA-256 over the DER.
  std::string Sha256Fingerprint() const;
  std::string SignatureAlgorithm() const;
  bool IsSelfIssued() const;
  // NamesIssuer tells whether this certificate's issuer name is `issuer`'s subject (a cheap
  // pre-check; only `VerifySignedBy` proves who signed it).
  bool NamesIssuer(const Certificate& issuer) const;
  PublicKey GetPublicKey() const;
  // VerifySignedBy checks this certificate's signature with `issuer`'s public key.
  bool VerifySignedBy(const PublicKey& issuer) const;

  // IsIssuedBy tells whether `issuer` issued this certificate: its name (NamesIssuer), then its
  // signature (VerifySignedBy). Which of several intermediates issued a leaf is found this way.
  bool IsIssuedBy(const Certificate& issuer) const;

 private:
  friend struct internal::Handles;  // the OpenSSL object, for crypto/internal/handles.h
  explicit Certificate(ossl::Ptr<x509_st> x509) : x509_(std::move(x509)) {}
  ossl::Ptr<x509_st> x509_;
};

// ToPemBundle concatenates the PEM of `certs`, in order.
std::string ToPemBundle(const std::vector<Certificate>& certs);

}  // namespace anchor::crypto
