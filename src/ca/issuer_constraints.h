// SPDX-License-Identifier: Apache-2.0
// File: issuer_constraints.h: the name constraints of the CAs above every certificate anchor
// issues, applied as policy before anything is signed (RFC 5280 4.2.1.10).
#pragma once

#include <string>
#include <vector>

#include "ca/name_request.h"
#include "core/error.h"
#include "crypto/certificate.h"

namespace anchor::ca {

// IssuerConstraints holds the nameConstraints of every CA certificate of the chain (the
// intermediate and the root). A name must satisfy each CA's constraints, as a verifier checks
// each CA's on the way down. The chain verifier run before issuance is the net; this is the
// check that names the rule in words.
class IssuerConstraints final {
 public:
  // Of reads the constraints of `cas`; CAs without the extension constrain nothing.
  static IssuerConstraints Of(const std::vector<crypto::Certificate>& cas);

  // Admits returns OkStatus when every name of `names` lies within every CA's permitted
  // subtrees of its form and in none of its excluded subtrees. The common name is held to the
  // DNS constraints too when no DNS SAN is requested and it reads as a DNS name with a dot, as
  // OpenSSL reads it. A refusal is kPermissionDenied naming the name and the CA's subtrees,
  // e.g. "www.example.org is outside the CA's permitted DNS names (example.com)".
  //
  // With `server_auth` (a certificate for TLS servers) and permitted DNS subtrees, a DNS SAN
  // within them is required: GnuTLS holds the CN of a server certificate without one to the DNS
  // constraints whatever the CN looks like, so an IP-only server certificate fails there.
  Status Admits(const NameRequest& names, bool server_auth = false) const;

  // PermittedDnsNames lists the permitted DNS subtrees of every CA of the chain.
  std::vector<std::string> PermittedDnsNames() const;

  // Empty is true when no CA of the chain constrains names.
  bool Empty() const { return constraints_.empty(); }

 private:
  struct Constrained {
    std::string ca;  // the CA's subject, for messages
    crypto::NameConstraints nc;
  };
  Status AdmitsName(const crypto::GeneralName& name, bool from_common_name) const;
  std::vector<Constrained> constraints_;
};

// ReadsAsDnsName tells whether a common name is one a verifier holds to DNS name constraints
// (OpenSSL's rule: LDH and '_' characters, two labels or more, '.' and '-' only inside).
bool ReadsAsDnsName(std::string_view common_name);

}  // namespace anchor::ca
