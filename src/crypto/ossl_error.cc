// SPDX-License-Identifier: Apache-2.0
// File: ossl_error.cc: the error-queue drain.
#include "crypto/ossl_error.h"

#include <openssl/err.h>

#include <cstdint>

namespace anchor::ossl {
namespace {

// ExternalKeyLibrary is the OpenSSL error library number anchor's external keys raise under;
// the reason is the Error's code.
int ExternalKeyLibrary() {
  static const int lib = ::ERR_get_next_error_library();
  return lib;
}

}  // namespace

Error OsslError(std::string_view what, Code code, SourceLocation where) {
  std::string detail;
  std::string device_message;
  char buf[256];  // ERR_error_string_n needs no more
  const char* data = nullptr;
  int flags = 0;
  for (unsigned long e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags); e != 0;
       e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (ERR_GET_LIB(e) == ExternalKeyLibrary() && data != nullptr && (flags & ERR_TXT_STRING)) {
      // The device's own account is the error; OpenSSL's lines after it only repeat the failure.
      code = static_cast<Code>(ERR_GET_REASON(e));
      device_message = data;
      continue;
    }
    ::ERR_error_string_n(e, buf, sizeof buf);
    detail.append(buf).push_back('\n');
  }
  if (!device_message.empty()) {
    return Error(code, device_message, std::string(what), where);
  }
  return Error(code, std::string(what), std::move(detail), where);
}

void RaiseExternalKeyError(const Error& error) {
  ERR_raise_data(ExternalKeyLibrary(), static_cast<int>(error.code()), "%s",
                 error.message().c_str());
}

void ClearErrors() { ::ERR_clear_error(); }

}  // namespace anchor::ossl
