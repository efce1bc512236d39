// SPDX-License-Identifier: Apache-2.0
// File: ossl_error.cc: the error-queue drain.
#include "crypto/ossl_error.h"

#include <openssl/err.h>

namespace anchor::ossl {

Error OsslError(std::string_view what, Code code, SourceLocation where) {
  std::string detail;
  char buf[256];  // ERR_error_string_n needs no more
  for (unsigned long e = ::ERR_get_error(); e != 0; e = ::ERR_get_error()) {
    ::ERR_error_string_n(e, buf, sizeof buf);
    detail.append(buf).push_back('\n');
  }
  return Error(code, std::string(what), std::move(detail), where);
}

void ClearErrors() { ::ERR_clear_error(); }

}  // namespace anchor::ossl
