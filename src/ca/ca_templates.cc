// SPDX-License-Identifier: Apache-2.0
// File: ca_templates.cc: CA certificate templates.
#include "ca/ca_templates.h"

#include <algorithm>

#include "ca/issuance_policy.h"

namespace anchor::ca {

crypto::CertTemplate RootTemplate(const std::string& name, std::vector<uint8_t> serial,
                                  Clock::time_point now, int days) {
  crypto::CertTemplate t;
  t.serial = std::move(serial);
  t.common_name = name + " Root CA";
  t.organization = name;
  t.not_before = now - kClockSkewBackdate;
  t.not_after = now + std::chrono::hours(24) * days;
  t.is_ca = true;
  t.key_usage = crypto::kKeyCertSign | crypto::kCrlSign;
  t.authority_key_id = false;
  return t;
}

crypto::CertTemplate IntermediateTemplate(const std::string& name, std::vector<uint8_t> serial,
                                          Clock::time_point now, int days,
                                          Clock::time_point issuer_not_after,
                                          std::vector<std::string> permitted_dns) {
  crypto::CertTemplate t = RootTemplate(name, std::move(serial), now, days);
  t.common_name = name + " Intermediate CA";
  t.not_after = std::min(t.not_after, issuer_not_after);
  t.path_len = 0;
  t.authority_key_id = true;
  t.permitted_dns = std::move(permitted_dns);
  return t;
}

crypto::CertTemplate OcspSignerTemplate(const std::string& name, std::vector<uint8_t> serial,
                                        Clock::time_point now, int days,
                                        Clock::time_point issuer_not_after) {
  crypto::CertTemplate t;
  t.serial = std::move(serial);
  t.common_name = name + " OCSP Responder";
  t.organization = name;
  t.not_before = now - kClockSkewBackdate;
  t.not_after = std::min(now + std::chrono::hours(24) * days, issuer_not_after);
  t.key_usage = crypto::kDigitalSignature;
  t.ext_key_usage = {crypto::ExtKeyUsage::kOcspSigning};
  t.ocsp_no_check = true;
  return t;
}

}  // namespace anchor::ca
