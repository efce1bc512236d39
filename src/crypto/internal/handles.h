// SPDX-License-Identifier: Apache-2.0
// File: internal/handles.h: the OpenSSL objects behind crypto/'s public types, and public types
// made from OpenSSL objects. For crypto/ itself and the few places that must hand an object to
// OpenSSL or take one from it (docs/ARCHITECTURE.md, "OpenSSL stays in crypto/").
#pragma once

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/ocsp.h"
#include "crypto/ossl_ptr.h"

namespace anchor::crypto::internal {

// Handles is the friend of every public type that holds an OpenSSL object: the one way in.
struct Handles final {
  static X509* Get(const Certificate& c) { return c.x509_.get(); }
  static X509_CRL* Get(const Crl& c) { return c.crl_.get(); }
  static X509_REQ* Get(const Csr& c) { return c.req_.get(); }
  static EVP_PKEY* Get(const PublicKey& k) { return k.key_.get(); }
  static EVP_PKEY* Get(const PrivateKey& k) { return k.key_.get(); }
  static OCSP_REQUEST* Get(const OcspRequest& r) { return r.req_.get(); }
  static const X509_PUBKEY* Spki(const PublicKey& k) { return k.spki_.get(); }

  static Certificate Wrap(ossl::Ptr<X509> x509) { return Certificate(std::move(x509)); }
  static PrivateKey WrapPrivate(ossl::Ptr<EVP_PKEY> key) { return PrivateKey(std::move(key)); }
  static PublicKey Wrap(ossl::Ptr<EVP_PKEY> key, ossl::Ptr<X509_PUBKEY> spki) {
    PublicKey out(std::move(key));
    out.spki_ = std::move(spki);
    return out;
  }
};

// Native returns the object a public type holds, borrowed (get0): valid while the value lives,
// never to be freed or changed. A caller keeping it longer takes its own reference
// (`ossl::UpRef`).
inline X509* Native(const Certificate& c) { return Handles::Get(c); }
inline X509_CRL* Native(const Crl& c) { return Handles::Get(c); }
inline X509_REQ* Native(const Csr& c) { return Handles::Get(c); }
inline EVP_PKEY* Native(const PublicKey& k) { return Handles::Get(k); }
inline EVP_PKEY* Native(const PrivateKey& k) { return Handles::Get(k); }
inline OCSP_REQUEST* Native(const OcspRequest& r) { return Handles::Get(r); }

// Spki is the SubjectPublicKeyInfo `key` was read from, or null when it was made otherwise.
inline const X509_PUBKEY* Spki(const PublicKey& key) { return Handles::Spki(key); }

// BorrowCertificate takes a new reference to `x509` (which must not be null), e.g. to a
// certificate of a TLS session's verified chain.
Certificate BorrowCertificate(X509* x509);

// AdoptCertificate takes over the reference the caller holds on `x509` (which must not be null),
// for APIs that hand out a reference the caller must free, such as mosquitto_client_certificate.
Certificate AdoptCertificate(X509* x509);

// BorrowPublicKey takes a new reference to `key` (from a certificate or CSR). With `spki`, a
// copy of that encoded SubjectPublicKeyInfo is kept too, so certificates can be built without
// encoding the key again (`Spki`). A null `key` gives an empty key that matches nothing.
PublicKey BorrowPublicKey(EVP_PKEY* key, const X509_PUBKEY* spki = nullptr);

// SigningDigest is the digest anchor signs with for `key`: SHA-384 for P-384, none for Ed25519
// (it hashes internally), SHA-256 otherwise.
const EVP_MD* SigningDigest(const PrivateKey& key);

}  // namespace anchor::crypto::internal
