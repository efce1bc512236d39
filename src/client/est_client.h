// SPDX-License-Identifier: Apache-2.0
// File: est_client.h: the EST (RFC 7030) client: cacerts, simpleenroll, simplereenroll.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "client/https_client.h"
#include "client/server_list.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/tpm_attestation.h"

namespace anchor::client {

// EstClient speaks EST to the replicas of `servers` (e.g. "https://ca.example:8443"), failing
// over between them as ServerList::Send does, through `http`, which it borrows. Each request is
// safe to send again to another replica: cacerts is a read, and a simpleenroll whose answer was
// lost is answered elsewhere with the certificate its token paid for (same key, same serial).
class EstClient final {
 public:
  EstClient(HttpsClient& http, ServerList servers) : http_(http), servers_(std::move(servers)) {}
  // EstClient(http, base_url) speaks to the one server at `base_url`.
  EstClient(HttpsClient& http, std::string base_url)
      : EstClient(http, ServerList(std::move(base_url))) {}

  // CaCerts returns the CA chain the server publishes (intermediate, root).
  Result<std::vector<crypto::Certificate>> CaCerts();
  // SimpleEnroll sends `csr` with a one-time token (Authorization: Bearer) and returns the
  // issued certificate; with an empty token the client certificate of `http` authenticates (a
  // factory certificate).
  Result<crypto::Certificate> SimpleEnroll(const crypto::Csr& csr, const SecretBytes& token);
  // SimpleReenroll renews the certificate `http` presents as its client certificate.
  Result<crypto::Certificate> SimpleReenroll(const crypto::Csr& csr);
  // TpmChallenge asks for a TPM attestation challenge (api/attestation_challenge.h) for the
  // TPM's endorsement key certificate `ek_certificate` (DER) and attestation key `ak_public` (a
  // marshalled TPM2B_PUBLIC): the credential its TPM activates. A refusal is the server's error
  // (403: an EK of no manufacturer the CA trusts; 404: the CA checks no attestation).
  Result<crypto::Credential> TpmChallenge(std::span<const uint8_t> ek_certificate,
                                          std::span<const uint8_t> ak_public);

 private:
  Result<crypto::Certificate> Enroll(const std::string& op, const crypto::Csr& csr,
                                     const std::vector<std::string>& headers);
  HttpsClient& http_;
  ServerList servers_;
};

// FetchCaByFingerprint fetches cacerts from one of `servers` (failing over) without trusting the
// server yet, and accepts the answer only if one of its certificates has SHA-256 fingerprint
// `fingerprint` (hex, ':' allowed, any case) and the others chain to it. It returns the chain as
// PEM, to pin from then on: for every replica of the list, which must all chain to it. The
// replicas are asked in turn, the current one first, until one serves the pinned root (it is
// then current): a replica of another CA costs its turn, not the enrollment. When none does,
// kUnavailable if one was unreachable (it may come back), else kPermissionDenied.
Result<std::string> FetchCaByFingerprint(const ServerList& servers, const std::string& fingerprint,
                                         bool allow_tls12);

}  // namespace anchor::client
