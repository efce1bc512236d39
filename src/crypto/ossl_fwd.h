// SPDX-License-Identifier: Apache-2.0
// File: ossl_fwd.h: the owning pointer of ossl_ptr.h, without OpenSSL's headers, for the objects
// crypto/'s public types hold. A layer above crypto/ can tell that such an object exists, never
// what is in it (docs/ARCHITECTURE.md, "OpenSSL stays in crypto/").
#pragma once

#include <memory>

// OpenSSL's own struct tags, declared as <openssl/types.h>, <openssl/x509.h> and <openssl/ocsp.h>
// declare them, so that inside crypto/ X509, EVP_PKEY, ... name these very types.
struct evp_pkey_st;      // EVP_PKEY
struct ocsp_request_st;  // OCSP_REQUEST
struct x509_st;          // X509
struct X509_crl_st;      // X509_CRL
struct X509_pubkey_st;   // X509_PUBKEY
struct X509_req_st;      // X509_REQ

namespace anchor::ossl {

template <typename T>
struct DeleterFor;  // specialised once per type: below for the types above, in ossl_ptr.h else

struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    DeleterFor<T>::Free(p);
  }
};

// Ptr owns one OpenSSL object and frees it with that type's own free function.
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

// The deleters of the types public classes hold are declared here and defined in ossl_ptr.cc,
// so a class holding one can be moved and destroyed where OpenSSL's headers are not included.
#define ANCHOR_OSSL_OPAQUE_DELETER(T) \
  template <>                         \
  struct DeleterFor<T> {              \
    static void Free(T* p) noexcept;  \
  }

ANCHOR_OSSL_OPAQUE_DELETER(evp_pkey_st);
ANCHOR_OSSL_OPAQUE_DELETER(ocsp_request_st);
ANCHOR_OSSL_OPAQUE_DELETER(x509_st);
ANCHOR_OSSL_OPAQUE_DELETER(X509_crl_st);
ANCHOR_OSSL_OPAQUE_DELETER(X509_pubkey_st);
ANCHOR_OSSL_OPAQUE_DELETER(X509_req_st);

#undef ANCHOR_OSSL_OPAQUE_DELETER

}  // namespace anchor::ossl

namespace anchor::crypto::internal {
// Handles (crypto/internal/handles.h) is the one way to the OpenSSL object a public type holds;
// each such type names it friend.
struct Handles;
}  // namespace anchor::crypto::internal
