// SPDX-License-Identifier: Apache-2.0
// File: pem.cc: PEM parsing through OpenSSL's PEM_read_bio.
#include "crypto/pem.h"

#include <openssl/pem.h>

#include "crypto/internal/der.h"
#include "crypto/ossl_error.h"
#include "crypto/ossl_ptr.h"

namespace anchor::crypto {

bool LooksLikePem(std::string_view data) {
  return data.find("-----BEGIN ") != std::string_view::npos;
}

Result<std::vector<PemBlock>> ParsePemBlocks(std::string_view data) {
  // Count the BEGIN lines first and read exactly that many blocks, so the end of input is never
  // told apart from damage by an OpenSSL reason code.
  size_t expected = 0;
  for (size_t at = data.find("-----BEGIN "); at != std::string_view::npos;
       at = data.find("-----BEGIN ", at + 1)) {
    ++expected;
  }
  if (expected == 0) {
    return Error(Code::kInvalidArgument,
                 "no PEM block found (expected a -----BEGIN ...----- line)");
  }
  std::vector<PemBlock> out;
  auto bio = ossl::MemBio(data.data(), data.size());
  while (out.size() < expected) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long len = 0;
    if (::PEM_read_bio(bio.get(), &name, &header, &der, &len) != 1) {
      return ossl::OsslError(
          "PEM block #" + std::to_string(out.size() + 1) + " is damaged or truncated",
          Code::kInvalidArgument);
    }
    out.push_back(PemBlock{name, std::vector<uint8_t>(der, der + len)});
    ::OPENSSL_free(name);
    ::OPENSSL_free(header);
    ::OPENSSL_free(der);
  }
  return out;
}

std::string ToPem(std::string_view label, std::span<const uint8_t> der) {
  ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  const std::string name(label);
  ANCHOR_CHECK(
      ::PEM_write_bio(bio.get(), name.c_str(), "", der.data(), static_cast<long>(der.size())) > 0);
  return internal::BioToString(bio.get());
}

}  // namespace anchor::crypto
