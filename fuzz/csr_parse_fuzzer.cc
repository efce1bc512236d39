// SPDX-License-Identifier: Apache-2.0
// File: csr_parse_fuzzer.cc: CSR parsing (PEM or DER) and every accessor issuance reads.
#include <string_view>

#include "crypto/csr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto csr = anchor::crypto::Csr::Parse({reinterpret_cast<const char*>(data), size});
  if (csr) {
    (void)csr->VerifySignature();
    (void)csr->CommonName();
    (void)csr->ReadContent();
    (void)csr->RequestedExtensions();
    (void)csr->GetPublicKey().Description();
  }
  return 0;
}
