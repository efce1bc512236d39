// SPDX-License-Identifier: Apache-2.0
// File: store_records.h: records for store tests, every field set, nothing a real CA signed.
#pragma once

#include <cstdint>
#include <string>

#include "store/store.h"

namespace anchor::testing {

// StoreRecord is a certificate row for `serial` (CN and fingerprint derived from it), valid from
// 0 to `not_after`, issued by the CA certificate with fingerprint `issuer_fingerprint`.
inline store::CertificateRecord StoreRecord(const std::string& serial, int64_t not_after = 2000,
                                            const std::string& issuer_fingerprint = "a1") {
  store::CertificateRecord r;
  r.serial = serial;
  r.issuer = "CN=CA";
  r.issuer_fingerprint = issuer_fingerprint;
  r.subject = "CN=" + serial;
  r.common_name = serial;
  r.sans = {"dns:a.example", "ip:10.0.0.1"};
  r.profile = "server";
  r.not_before = 0;
  r.not_after = not_after;
  r.der = {0x30, 0x00};
  r.fingerprint = "fp-" + serial;
  return r;
}

}  // namespace anchor::testing
