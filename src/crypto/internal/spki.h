// SPDX-License-Identifier: Apache-2.0
// File: internal/spki.h: copying a SubjectPublicKeyInfo field by field. Never included outside
// crypto/.
#pragma once

#include <openssl/x509.h>

#include "crypto/ossl_ptr.h"

namespace anchor::crypto::internal {

// CopySpkiInto sets `to`'s algorithm and key bits to copies of `from`'s. Unlike X509_PUBKEY_set,
// which in OpenSSL 3.0 encodes the key with an OSSL_ENCODER and decodes it back with an
// OSSL_DECODER (most of the cost of issuing a certificate), this copies bytes. `to` is left
// without a cached EVP_PKEY. Returns false on allocation failure.
bool CopySpkiInto(const X509_PUBKEY* from, X509_PUBKEY* to);

// CopySpki returns a new X509_PUBKEY with `from`'s fields, or null.
ossl::Ptr<X509_PUBKEY> CopySpki(const X509_PUBKEY* from);

}  // namespace anchor::crypto::internal
