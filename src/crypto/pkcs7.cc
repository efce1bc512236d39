// SPDX-License-Identifier: Apache-2.0
// File: pkcs7.cc: certs-only PKCS#7 through OpenSSL's PKCS7 API.
#include "crypto/pkcs7.h"

#include <openssl/pkcs7.h>

#include "crypto/internal/der.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {

Result<std::vector<uint8_t>> CertsOnlyPkcs7(const std::vector<Certificate>& certs) {
  ossl::Ptr<PKCS7> p7(::PKCS7_new());
  if (!p7 || ::PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
      ::PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1) {
    return ossl::OsslError("PKCS7_new");
  }
  for (const Certificate& c : certs) {
    if (::PKCS7_add_certificate(p7.get(), internal::Native(c)) != 1) {  // takes its own reference
      return ossl::OsslError("PKCS7_add_certificate");
    }
  }
  return internal::I2d(::i2d_PKCS7, static_cast<const PKCS7*>(p7.get()));
}

Result<std::vector<Certificate>> CertsFromPkcs7(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<PKCS7> p7, internal::D2iExact(::d2i_PKCS7, der, "PKCS#7"));
  if (PKCS7_type_is_signed(p7.get()) == 0 || p7->d.sign == nullptr) {
    return Error(Code::kInvalidArgument, "the PKCS#7 is not a SignedData");
  }
  std::vector<Certificate> out;
  STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    out.push_back(internal::BorrowCertificate(sk_X509_value(certs, i)));
  }
  return out;
}

}  // namespace anchor::crypto
