// SPDX-License-Identifier: Apache-2.0
// File: generation.h: the intermediate CAs of a CA's life, and the URLs each one's
// certificates name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "crypto/certificate.h"
#include "crypto/key.h"

namespace anchor::ca {

// Generation is one intermediate CA of this CA: 1 is the one `anchor init` made, each
// `anchor ca rotate` adds the next. The newest issues; the older ("retired") ones keep answering
// OCSP and signing their own CRL for what they issued, until all of it has expired (at the
// latest at their own notAfter, which bounds their certificates').
struct Generation {
  int number = 1;
  crypto::Certificate cert;
  std::optional<crypto::PrivateKey> key;  // absent where only certificates are read
  std::string fingerprint;  // SHA-256 of cert's DER, lower-case hex: the store's issuer_fingerprint
};

// CrlPath is the path, under the CA's public URL, of generation `n`'s CRL, which its
// certificates name as CRL distribution point and its CRL as issuing distribution point: "/crl"
// for the first (certificates issued before any rotation name it), "/crl/N" after.
// CaIssuersPath is the AIA caIssuers path of its certificate: "/intermediate.crt", then
// "/intermediate/N.crt". A path, once in a certificate, answers for that generation for good.
std::string CrlPath(int generation);
std::string CaIssuersPath(int generation);
// GenerationOfCrlPath and GenerationOfCaIssuersPath read them back (the router); nullopt for any
// other path.
std::optional<int> GenerationOfCrlPath(std::string_view path);
std::optional<int> GenerationOfCaIssuersPath(std::string_view path);

// IntermediateCommonName is generation `n`'s CN: "<name> Intermediate CA", then
// "<name> Intermediate CA G<n>", so that two generations never share a subject name and each
// certificate's issuer name says which one signed it.
std::string IntermediateCommonName(const std::string& ca_name, int generation);

// Serving is true while a retired generation may still have unexpired certificates to answer
// for: until its own notAfter.
inline bool Serving(const Generation& g, Clock::time_point now) { return now < g.cert.NotAfter(); }

// IssuerOf returns the generation among `generations` that issued `cert` (its issuer name, then
// its signature), or nullptr.
const Generation* IssuerOf(const std::vector<Generation>& generations,
                           const crypto::Certificate& cert);

}  // namespace anchor::ca
