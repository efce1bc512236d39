// SPDX-License-Identifier: Apache-2.0
// File: ossl_ptr.h: one owning pointer type for every OpenSSL object, one deleter line per type.
// It includes OpenSSL's headers: only crypto/ and the layers docs/ARCHITECTURE.md lists under
// "OpenSSL stays in crypto/" include it; public crypto/ headers use ossl_fwd.h.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/ossl_fwd.h"

namespace anchor::ossl {

#define ANCHOR_OSSL_DELETER(T, fn)             \
  template <>                                  \
  struct DeleterFor<T> {                       \
    static void Free(T* p) noexcept { fn(p); } \
  }

// EVP_PKEY, OCSP_REQUEST, X509, X509_CRL, X509_PUBKEY and X509_REQ, which public types hold:
// declared in ossl_fwd.h, each defined by one line of ossl_ptr.cc.
ANCHOR_OSSL_DELETER(BIO, ::BIO_free_all);
ANCHOR_OSSL_DELETER(BIGNUM, ::BN_free);
ANCHOR_OSSL_DELETER(ECDSA_SIG, ::ECDSA_SIG_free);
ANCHOR_OSSL_DELETER(EVP_PKEY_CTX, ::EVP_PKEY_CTX_free);
ANCHOR_OSSL_DELETER(EVP_MD_CTX, ::EVP_MD_CTX_free);
ANCHOR_OSSL_DELETER(EVP_CIPHER_CTX, ::EVP_CIPHER_CTX_free);
ANCHOR_OSSL_DELETER(EVP_KDF, ::EVP_KDF_free);
ANCHOR_OSSL_DELETER(EVP_KDF_CTX, ::EVP_KDF_CTX_free);
ANCHOR_OSSL_DELETER(X509_NAME, ::X509_NAME_free);
ANCHOR_OSSL_DELETER(X509_EXTENSION, ::X509_EXTENSION_free);
ANCHOR_OSSL_DELETER(X509_REVOKED, ::X509_REVOKED_free);
ANCHOR_OSSL_DELETER(X509_STORE, ::X509_STORE_free);
ANCHOR_OSSL_DELETER(X509_STORE_CTX, ::X509_STORE_CTX_free);
ANCHOR_OSSL_DELETER(X509_ALGOR, ::X509_ALGOR_free);
ANCHOR_OSSL_DELETER(X509_SIG, ::X509_SIG_free);
ANCHOR_OSSL_DELETER(PKCS7, ::PKCS7_free);
ANCHOR_OSSL_DELETER(OCSP_RESPONSE, ::OCSP_RESPONSE_free);
ANCHOR_OSSL_DELETER(OCSP_BASICRESP, ::OCSP_BASICRESP_free);
ANCHOR_OSSL_DELETER(PKCS8_PRIV_KEY_INFO, ::PKCS8_PRIV_KEY_INFO_free);
// ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING, ... are all ASN1_STRING: one deleter.
ANCHOR_OSSL_DELETER(ASN1_STRING, ::ASN1_STRING_free);
ANCHOR_OSSL_DELETER(ASN1_OBJECT, ::ASN1_OBJECT_free);
ANCHOR_OSSL_DELETER(GENERAL_NAME, ::GENERAL_NAME_free);
ANCHOR_OSSL_DELETER(BASIC_CONSTRAINTS, ::BASIC_CONSTRAINTS_free);
ANCHOR_OSSL_DELETER(AUTHORITY_KEYID, ::AUTHORITY_KEYID_free);
ANCHOR_OSSL_DELETER(DIST_POINT, ::DIST_POINT_free);
ANCHOR_OSSL_DELETER(ISSUING_DIST_POINT, ::ISSUING_DIST_POINT_free);
ANCHOR_OSSL_DELETER(ACCESS_DESCRIPTION, ::ACCESS_DESCRIPTION_free);
ANCHOR_OSSL_DELETER(NAME_CONSTRAINTS, ::NAME_CONSTRAINTS_free);

inline void FreeGeneralNames(GENERAL_NAMES* s) { ::GENERAL_NAMES_free(s); }
ANCHOR_OSSL_DELETER(GENERAL_NAMES, FreeGeneralNames);
inline void FreeCertStack(STACK_OF(X509) * s) { sk_X509_pop_free(s, ::X509_free); }
ANCHOR_OSSL_DELETER(STACK_OF(X509), FreeCertStack);
inline void FreeCrlStack(STACK_OF(X509_CRL) * s) { sk_X509_CRL_pop_free(s, ::X509_CRL_free); }
ANCHOR_OSSL_DELETER(STACK_OF(X509_CRL), FreeCrlStack);
inline void FreeExtStack(STACK_OF(X509_EXTENSION) * s) {
  sk_X509_EXTENSION_pop_free(s, ::X509_EXTENSION_free);
}
ANCHOR_OSSL_DELETER(STACK_OF(X509_EXTENSION), FreeExtStack);
inline void FreeDistPoints(CRL_DIST_POINTS* s) { ::CRL_DIST_POINTS_free(s); }
ANCHOR_OSSL_DELETER(CRL_DIST_POINTS, FreeDistPoints);
inline void FreeAia(AUTHORITY_INFO_ACCESS* s) { ::AUTHORITY_INFO_ACCESS_free(s); }
ANCHOR_OSSL_DELETER(AUTHORITY_INFO_ACCESS, FreeAia);
inline void FreeEku(EXTENDED_KEY_USAGE* s) { ::EXTENDED_KEY_USAGE_free(s); }
ANCHOR_OSSL_DELETER(EXTENDED_KEY_USAGE, FreeEku);
inline void FreeTypeStack(STACK_OF(ASN1_TYPE) * s) { sk_ASN1_TYPE_pop_free(s, ::ASN1_TYPE_free); }
ANCHOR_OSSL_DELETER(STACK_OF(ASN1_TYPE), FreeTypeStack);
ANCHOR_OSSL_DELETER(ASN1_TYPE, ::ASN1_TYPE_free);
inline void FreePolicies(CERTIFICATEPOLICIES* s) { ::CERTIFICATEPOLICIES_free(s); }
ANCHOR_OSSL_DELETER(CERTIFICATEPOLICIES, FreePolicies);

#undef ANCHOR_OSSL_DELETER

// UpRef returns a second owning reference to `cert`.
inline Ptr<X509> UpRef(X509* cert) {
  if (cert != nullptr) {
    ::X509_up_ref(cert);
  }
  return Ptr<X509>(cert);
}

// UpRef returns a second owning reference to `key`.
inline Ptr<EVP_PKEY> UpRef(EVP_PKEY* key) {
  if (key != nullptr) {
    ::EVP_PKEY_up_ref(key);
  }
  return Ptr<EVP_PKEY>(key);
}

// MemBio returns a read-only BIO over `data`, which must outlive it.
inline Ptr<BIO> MemBio(const void* data, size_t size) {
  return Ptr<BIO>(::BIO_new_mem_buf(data, static_cast<int>(size)));
}

}  // namespace anchor::ossl
