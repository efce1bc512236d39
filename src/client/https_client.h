// SPDX-License-Identifier: Apache-2.0
// File: https_client.h: HTTPS requests through libcurl, with anchor's TLS policy.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/key.h"

namespace anchor::client {

// TlsOptions are the client's TLS policy. The server is always verified, host name included,
// against `ca_pem`, except when `verify_server` is false: only for fetching cacerts whose content
// is then checked against a fingerprint the user gave (see `FetchCaByFingerprint`).
struct TlsOptions {
  std::string ca_pem;     // trust anchors, PEM
  std::string cert_file;  // client certificate chain (PEM), for mTLS; empty: none
  std::string key_file;   // its private key (PEM)
  // client_key, when set, is that key already loaded, and `key_file` is not read: a key that no
  // file holds in the clear (a TPM's, crypto/tpm2_key.h) signs the handshake where it lives.
  std::optional<crypto::PrivateKey> client_key;
  bool allow_tls12 = false;
  bool verify_server = true;
  long timeout_seconds = 30;
  // fresh_connection makes every request open a new connection with a full handshake (no
  // keep-alive, no session resumption): for load tests that measure handshakes.
  bool fresh_connection = false;
  // allow_plain_http permits http:// URLs, for content that is signed anyway (OCSP, CRLs).
  bool allow_plain_http = false;
  // cancel, when set, ends a request in progress once it reads true (within about a second,
  // libcurl's progress callback; kUnavailable): how a thread blocked in a long-polled request is
  // stopped. Borrowed: it must outlive the client.
  const std::atomic<bool>* cancel = nullptr;
};

// HttpResult is a completed exchange, whatever its status.
struct HttpResult {
  long status = 0;
  std::string content_type;
  std::string body;
};

// HttpsClient keeps one connection alive across requests; use one per thread.
class HttpsClient final {
 public:
  // Create checks the options (a CA is required unless `verify_server` is false).
  static Result<HttpsClient> Create(TlsOptions options);
  HttpsClient(HttpsClient&&) noexcept;
  HttpsClient& operator=(HttpsClient&&) noexcept;
  ~HttpsClient();

  // Get and Post return the response whatever its status, or, when there is none, an error
  // naming the URL and what failed: kUnauthenticated when the server refused the client
  // certificate with a TLS alert (expired, revoked, unknown CA, bad certificate),
  // kInvalidArgument when the local certificate or key cannot be used, kUnavailable for the
  // rest (connection refused, reset, timeout, the server's certificate not verified).
  Result<HttpResult> Get(const std::string& url, const std::vector<std::string>& headers = {});
  Result<HttpResult> Post(const std::string& url, const std::string& content_type,
                          const std::string& body, const std::vector<std::string>& headers = {});

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  Result<HttpResult> Perform(const std::string& url, const std::string* body,
                             const std::vector<std::string>& headers);
  std::unique_ptr<Impl> impl_;
};

// ErrorFromResponse turns a non-2xx answer into an Error whose code matches the status (the
// inverse of http::StatusFor) and whose message is the server's one-line reason.
Error ErrorFromResponse(const std::string& what, const HttpResult& result);

// JoinUrl appends `path` to `base` ("https://h:1" + "/x"), tolerating a trailing slash.
std::string JoinUrl(const std::string& base, const std::string& path);

}  // namespace anchor::client
