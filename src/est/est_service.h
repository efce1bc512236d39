// SPDX-License-Identifier: Apache-2.0
// File: est_service.h: the EST (RFC 7030) endpoints under /.well-known/est/, transport-free.
#pragma once

#include "ca/authority.h"
#include "http/http_message.h"

namespace anchor::est {

// kMaxBodyBytes bounds an EST request body; server/ enforces it before reading, this layer again.
inline constexpr size_t kMaxBodyBytes = 64 * 1024;

// EstService answers EST requests with `authority`, which it borrows and which must outlive it.
// Authority is single-threaded, so the caller serialises calls.
class EstService final {
 public:
  explicit EstService(ca::Authority& authority) : authority_(authority) {}

  // CaCerts is GET cacerts: the intermediate and the root, certs-only PKCS#7, base64.
  http::Response CaCerts() const;

  // SimpleEnroll is POST simpleenroll with a one-time token. Answers: 200 with the issued
  // certificate (certs-only PKCS#7, base64); 400 malformed body or CSR (bad base64, not a CSR,
  // bad signature); 401 no, unknown, used or expired token; 403 names or key the token or policy
  // refuse; 413 too large; 415 not application/pkcs10. The token is consumed only with success.
  http::Response SimpleEnroll(const http::Request& request);

  // CsrAttrs is GET csrattrs: 204, anchor asks for nothing beyond a CN (RFC 7030 4.5.2 allows it).
  http::Response CsrAttrs() const;

 private:
  ca::Authority& authority_;
};

}  // namespace anchor::est
