// SPDX-License-Identifier: Apache-2.0
// File: tls_identity.h: a TLS client's certificate and key on the OpenSSL SSL_CTX that a TLS
// library works with (libcurl, libmosquitto), for any PrivateKey: a key in a TPM
// (crypto/tpm2_key.h), which no file names, then signs the handshake in the TPM.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/key.h"

namespace anchor::crypto {

// UseTlsIdentity makes `ssl_ctx`, an OpenSSL SSL_CTX* as libcurl's CURLOPT_SSL_CTX_FUNCTION
// passes it (void*: both libraries pass it so), present `chain` (the leaf, then its
// intermediates) and sign with `key`. The SSL_CTX takes references to both. kInvalidArgument
// when the chain is empty or `key` is not the leaf's key.
Status UseTlsIdentity(void* ssl_ctx, std::span<const Certificate> chain, const PrivateKey& key);

// TlsClientOptions are what a TLS client context verifies the server with and presents.
struct TlsClientOptions {
  std::string ca_pem;              // the CA(s) the server must chain to, PEM
  std::string server_name;         // the name the server's certificate must carry (DNS or IP)
  std::vector<Certificate> chain;  // the client certificate and intermediates; empty: none
  std::optional<PrivateKey> key;   // its key, when `chain` is given
  bool allow_tls12 = false;        // TLS 1.3 only unless set
};

// TlsClientContext is an OpenSSL client SSL_CTX built from TlsClientOptions, for the libraries
// that take a whole SSL_CTX (libmosquitto's MOSQ_OPT_SSL_CTX, which takes its own reference).
// Move-only; the SSL_CTX is freed with the last reference.
class TlsClientContext final {
 public:
  static Result<TlsClientContext> Create(const TlsClientOptions& options);
  TlsClientContext(TlsClientContext&& other) noexcept;
  TlsClientContext& operator=(TlsClientContext&& other) noexcept;
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  ~TlsClientContext();

  // Native is the SSL_CTX*, as void* for the C libraries that take it so.
  void* Native() const { return ctx_; }

 private:
  explicit TlsClientContext(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;
};

}  // namespace anchor::crypto
