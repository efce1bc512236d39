// SPDX-License-Identifier: Apache-2.0
// File: tls_identity.cc: client certificates and keys on OpenSSL SSL_CTXs.
#include "crypto/tls_identity.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <utility>

#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {

Status UseTlsIdentity(void* ssl_ctx, std::span<const Certificate> chain, const PrivateKey& key) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (chain.empty()) {
    return Error(Code::kInvalidArgument, "no client certificate to present");
  }
  if (::SSL_CTX_use_certificate(ctx, internal::Native(chain.front())) != 1) {
    return ossl::OsslError("SSL_CTX_use_certificate", Code::kInvalidArgument);
  }
  ::SSL_CTX_clear_chain_certs(ctx);
  for (const Certificate& c : chain.subspan(1)) {
    if (::SSL_CTX_add1_chain_cert(ctx, internal::Native(c)) != 1) {
      return ossl::OsslError("SSL_CTX_add1_chain_cert", Code::kInvalidArgument);
    }
  }
  // An external key (a TPM's) is a foreign EC_KEY in the default context: the handshake's
  // CertificateVerify signs through it (crypto/external_key.h).
  if (::SSL_CTX_use_PrivateKey(ctx, internal::Native(key)) != 1 ||
      ::SSL_CTX_check_private_key(ctx) != 1) {
    ossl::ClearErrors();
    return Error(Code::kInvalidArgument,
                 "the client key is not the key of the certificate " + chain.front().Subject());
  }
  return OkStatus();
}

Result<TlsClientContext> TlsClientContext::Create(const TlsClientOptions& o) {
  SSL_CTX* ctx = ::SSL_CTX_new(::TLS_client_method());
  if (ctx == nullptr) {
    return ossl::OsslError("SSL_CTX_new");
  }
  TlsClientContext out(ctx);  // frees ctx on every return below
  if (::SSL_CTX_set_min_proto_version(ctx, o.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION) != 1) {
    return ossl::OsslError("SSL_CTX_set_min_proto_version");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<Certificate> cas, Certificate::ParseAll(o.ca_pem));
  if (cas.empty()) {
    return Error(Code::kInvalidArgument, "no CA certificate to verify the server with");
  }
  X509_STORE* store = ::SSL_CTX_get_cert_store(ctx);
  for (const Certificate& ca : cas) {
    if (::X509_STORE_add_cert(store, internal::Native(ca)) != 1) {
      return ossl::OsslError("X509_STORE_add_cert");
    }
  }
  //= DESIGN.md: every client verifies the server's name.
  X509_VERIFY_PARAM* param = ::SSL_CTX_get0_param(ctx);
  const bool is_ip = ::X509_VERIFY_PARAM_set1_ip_asc(param, o.server_name.c_str()) == 1;
  if (!is_ip) {
    ossl::ClearErrors();
    if (o.server_name.empty() ||
        ::X509_VERIFY_PARAM_set1_host(param, o.server_name.c_str(), o.server_name.size()) != 1) {
      return Error(Code::kInvalidArgument,
                   "'" + o.server_name + "' is not a server name to verify the server with");
    }
  }
  ::SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!o.chain.empty()) {
    if (!o.key) {
      return Error(Code::kInvalidArgument, "a client certificate without its key");
    }
    ANCHOR_TRY(UseTlsIdentity(ctx, o.chain, *o.key));
  }
  return out;
}

TlsClientContext::TlsClientContext(TlsClientContext&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)) {}

TlsClientContext& TlsClientContext::operator=(TlsClientContext&& other) noexcept {
  if (this != &other) {
    ::SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

TlsClientContext::~TlsClientContext() { ::SSL_CTX_free(static_cast<SSL_CTX*>(ctx_)); }

}  // namespace anchor::crypto
