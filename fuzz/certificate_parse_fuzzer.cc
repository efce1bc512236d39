// SPDX-License-Identifier: Apache-2.0
// File: certificate_parse_fuzzer.cc: certificate/chain parsing and the fields inspect and lint
// read.
#include <string_view>

#include "ca/lint.h"
#include "crypto/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto certs = anchor::crypto::Certificate::ParseAll({reinterpret_cast<const char*>(data), size});
  if (certs) {
    for (const auto& c : *certs) {
      (void)c.SubjectAltNames();
      (void)c.CrlDistributionPoints();
      (void)c.OcspUrls();
      (void)c.ExtensionNames();
      (void)anchor::ca::Lint(c, anchor::FromUnixSeconds(1767225600));
    }
  }
  return 0;
}
