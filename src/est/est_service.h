// SPDX-License-Identifier: Apache-2.0
// File: est_service.h: the EST (RFC 7030) endpoints under /.well-known/est/, transport-free.
#pragma once

#include "ca/authenticator.h"
#include "ca/authority.h"
#include "http/http_message.h"

namespace anchor::est {

// kMaxBodyBytes bounds an EST request body; server/ enforces it before reading, this layer again.
inline constexpr size_t kMaxBodyBytes = 64 * 1024;

// EstService answers EST requests with `authority`, whose grants `authenticator` makes; it
// borrows both, which must outlive it. It holds no state of its own: like the Authority, it may
// be called from several threads. It reads the credential from the request (a token, or the
// client certificate TLS verified) and leaves every decision about it to the Authenticator.
class EstService final {
 public:
  EstService(ca::Authority& authority, const ca::Authenticator& authenticator)
      : authority_(authority), authenticator_(authenticator) {}

  // CaCerts is GET cacerts: the intermediates (the issuing one, then the retired ones still
  // serving) and the root, certs-only PKCS#7, base64.
  http::Response CaCerts() const;

  // SimpleEnroll is POST simpleenroll with a one-time token, or else with a factory client
  // certificate when a bootstrap CA is configured. Answers: 200 with the issued certificate
  // (certs-only PKCS#7, base64); 400 malformed body or CSR (bad base64, not a CSR, bad
  // signature); 401 no, unknown, used or expired token, or a factory certificate that does not
  // verify; 403 names or key the token or policy refuse, TPM attestation that does not hold, or
  // none where the profile requires it; 413 too large; 415 not
  // application/pkcs10. The token is consumed only with success.
  http::Response SimpleEnroll(const http::Request& request);

  // SimpleReenroll is POST simplereenroll, authenticated by the client certificate being renewed
  // (RFC 7030 4.2.2): it must be this CA's, unrevoked, unexpired (or within the configured grace
  // period); the CSR must ask for the same subject and no new name; a new key is allowed.
  // Answers as SimpleEnroll; a missing, revoked or expired certificate is 401.
  http::Response SimpleReenroll(const http::Request& request);

  // CsrAttrs is GET csrattrs: 204, anchor asks for nothing beyond a CN (RFC 7030 4.5.2 allows
  // it); where TPM attestation is checked, 200 with the OIDs of its evidence attributes
  // (crypto/tpm_evidence.h), which a profile with require_attestation needs.
  http::Response CsrAttrs() const;

 private:
  // EnrollFrom and ReenrollFrom compute the answers of SimpleEnroll and SimpleReenroll, or why
  // there is none; the public functions turn an error into its response (http::Respond).
  Result<http::Response> EnrollFrom(const http::Request& request);
  Result<http::Response> ReenrollFrom(const http::Request& request);
  // KeyAttested checks the TPM evidence `csr` carries (crypto/tpm_evidence.h): false when it
  // carries none; kPermissionDenied (403) when it does not hold, naming why, or when this CA
  // checks none.
  Result<bool> KeyAttested(const crypto::Csr& csr) const;
  // Enroll authenticates `credential` and issues for `csr` under its grant, marking the
  // certificate when its key's TPM attestation holds, or when it renews an attested
  // certificate for the same key.
  Result<http::Response> Enroll(crypto::Csr csr, const ca::Presented& credential);

  ca::Authority& authority_;
  const ca::Authenticator& authenticator_;
};

}  // namespace anchor::est
