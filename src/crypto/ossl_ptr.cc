// SPDX-License-Identifier: Apache-2.0
// File: ossl_ptr.cc: the deleters ossl_fwd.h declares, one line per type.
#include "crypto/ossl_ptr.h"

namespace anchor::ossl {

void DeleterFor<EVP_PKEY>::Free(EVP_PKEY* p) noexcept { ::EVP_PKEY_free(p); }
void DeleterFor<OCSP_REQUEST>::Free(OCSP_REQUEST* p) noexcept { ::OCSP_REQUEST_free(p); }
void DeleterFor<X509>::Free(X509* p) noexcept { ::X509_free(p); }
void DeleterFor<X509_CRL>::Free(X509_CRL* p) noexcept { ::X509_CRL_free(p); }
void DeleterFor<X509_PUBKEY>::Free(X509_PUBKEY* p) noexcept { ::X509_PUBKEY_free(p); }
void DeleterFor<X509_REQ>::Free(X509_REQ* p) noexcept { ::X509_REQ_free(p); }

}  // namespace anchor::ossl
