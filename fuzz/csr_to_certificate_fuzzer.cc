// SPDX-License-Identifier: Apache-2.0
// File: csr_to_certificate_fuzzer.cc: the whole issuance path from untrusted CSR bytes to a
// recorded certificate, under every profile. Whatever the bytes, no CA certificate may come out.
#include <cstdlib>
#include <string_view>

#include "testlib/test_ca.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static anchor::testing::TestCa* ca = new anchor::testing::TestCa();
  auto csr = anchor::crypto::Csr::Parse({reinterpret_cast<const char*>(data), size});
  if (!csr) {
    return 0;
  }
  for (const auto profile : anchor::ca::AllProfiles()) {
    auto copy = anchor::crypto::Csr::FromDer(csr->ToDer());
    auto issued = ca->authority->Issue({std::move(copy).value(), profile, 30, std::nullopt, {}});
    if (issued && issued->cert.IsCa()) {
      std::abort();  // a CSR must never yield a CA
    }
  }
  return 0;
}
