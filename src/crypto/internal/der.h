// SPDX-License-Identifier: Apache-2.0
// File: internal/der.h: the DER and BIO plumbing every crypto type shares. Never included outside
// crypto/.
#pragma once

#include <openssl/bio.h>
#include <openssl/crypto.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/ossl_error.h"
#include "crypto/ossl_ptr.h"

namespace anchor::crypto::internal {

// D2iExact parses exactly one `T` from `der` with OpenSSL's `d2i`; a parse failure or trailing
// bytes are kInvalidArgument, described as `what` ("certificate", "CRL", ...).
template <typename T>
Result<ossl::Ptr<T>> D2iExact(T* (*d2i)(T**, const unsigned char**, long),
                              std::span<const uint8_t> der, const char* what) {
  const unsigned char* p = der.data();
  ossl::Ptr<T> out(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (!out) {
    return ossl::OsslError(std::string("not a DER ") + what, Code::kInvalidArgument);
  }
  if (p != der.data() + der.size()) {
    return Error(Code::kInvalidArgument, std::string("trailing bytes after the DER ") + what);
  }
  return out;
}

// I2d encodes `value` with OpenSSL's `i2d`. Encoding an object that parsed or was built cannot
// fail but for memory, which is an invariant failure.
template <typename T>
std::vector<uint8_t> I2d(int (*i2d)(const T*, unsigned char**), const T* value) {
  unsigned char* der = nullptr;
  const int len = i2d(value, &der);
  ANCHOR_CHECK(len > 0);
  std::vector<uint8_t> out(der, der + len);
  ::OPENSSL_free(der);
  return out;
}

// BioToString returns the content of a memory BIO.
inline std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = ::BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace anchor::crypto::internal
