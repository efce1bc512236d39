// SPDX-License-Identifier: Apache-2.0
// File: internal/spki.cc: field-by-field SPKI copies.
#include "crypto/internal/spki.h"

#include <openssl/crypto.h>
#include <openssl/objects.h>

namespace anchor::crypto::internal {

bool CopySpkiInto(const X509_PUBKEY* from, X509_PUBKEY* to) {
  ASN1_OBJECT* alg_oid = nullptr;
  const unsigned char* bits = nullptr;
  int bits_len = 0;
  X509_ALGOR* alg = nullptr;
  if (from == nullptr || ::X509_PUBKEY_get0_param(&alg_oid, &bits, &bits_len, &alg, from) != 1) {
    return false;
  }
  const ASN1_OBJECT* param_oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  ::X509_ALGOR_get0(&param_oid, &param_type, &param, alg);
  void* param_copy = nullptr;
  if (param_type == V_ASN1_OBJECT) {
    param_copy = ::OBJ_dup(static_cast<const ASN1_OBJECT*>(param));
  } else if (param_type == V_ASN1_SEQUENCE || param_type == V_ASN1_OCTET_STRING) {
    param_copy = ::ASN1_STRING_dup(static_cast<const ASN1_STRING*>(param));
  }
  ASN1_OBJECT* oid_copy = ::OBJ_dup(alg_oid);
  auto* bits_copy =
      static_cast<unsigned char*>(::OPENSSL_memdup(bits, static_cast<size_t>(bits_len)));
  const bool param_ok = param == nullptr || param_copy != nullptr;
  if (oid_copy == nullptr || bits_copy == nullptr || !param_ok ||
      ::X509_PUBKEY_set0_param(to, oid_copy, param_type, param_copy, bits_copy, bits_len) != 1) {
    ::ASN1_OBJECT_free(oid_copy);
    ::OPENSSL_free(bits_copy);
    if (param_type == V_ASN1_OBJECT) {
      ::ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(param_copy));
    } else {
      ::ASN1_STRING_free(static_cast<ASN1_STRING*>(param_copy));
    }
    return false;
  }
  return true;
}

ossl::Ptr<X509_PUBKEY> CopySpki(const X509_PUBKEY* from) {
  ossl::Ptr<X509_PUBKEY> out(::X509_PUBKEY_new());
  if (!out || !CopySpkiInto(from, out.get())) {
    return nullptr;
  }
  return out;
}

}  // namespace anchor::crypto::internal
