// SPDX-License-Identifier: Apache-2.0
// File: est_client.h: the EST (RFC 7030) client: cacerts, simpleenroll, simplereenroll.
#pragma once

#include <string>
#include <vector>

#include "client/https_client.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"

namespace anchor::client {

// EstClient speaks EST to `base_url` (e.g. "https://ca.example:8443") through `http`, which it
// borrows.
class EstClient final {
 public:
  EstClient(HttpsClient& http, std::string base_url)
      : http_(http), base_url_(std::move(base_url)) {}

  // CaCerts returns the CA chain the server publishes (intermediate, root).
  Result<std::vector<crypto::Certificate>> CaCerts();
  // SimpleEnroll sends `csr` with a one-time token (Authorization: Bearer) and returns the
  // issued certificate; with an empty token the client certificate of `http` authenticates (a
  // factory certificate).
  Result<crypto::Certificate> SimpleEnroll(const crypto::Csr& csr, const SecretBytes& token);
  // SimpleReenroll renews the certificate `http` presents as its client certificate.
  Result<crypto::Certificate> SimpleReenroll(const crypto::Csr& csr);

 private:
  Result<crypto::Certificate> Enroll(const std::string& op, const crypto::Csr& csr,
                                     const std::vector<std::string>& headers);
  HttpsClient& http_;
  std::string base_url_;
};

// FetchCaByFingerprint fetches cacerts without trusting the server yet, and accepts the answer
// only if one of its certificates has SHA-256 fingerprint `fingerprint` (hex, ':' allowed, any
// case) and the others chain to it. It returns the chain as PEM, to pin from then on.
Result<std::string> FetchCaByFingerprint(const std::string& base_url,
                                         const std::string& fingerprint, bool allow_tls12);

}  // namespace anchor::client
