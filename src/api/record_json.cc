// SPDX-License-Identifier: Apache-2.0
// File: record_json.cc: CertificateRecord -> JSON.
#include "api/record_json.h"

#include "core/clock.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/tpm_evidence.h"

namespace anchor::api {

std::string RecordState(const store::CertificateRecord& r, int64_t now) {
  if (r.revoked) {
    return "revoked";
  }
  return r.not_after <= now ? "expired" : "valid";
}

std::optional<store::StatusFilter> ParseStatusFilter(std::string_view status) {
  if (status == "valid") return store::StatusFilter::kValid;
  if (status == "revoked") return store::StatusFilter::kRevoked;
  if (status == "expired") return store::StatusFilter::kExpired;
  if (status == "any") return store::StatusFilter::kAny;
  return std::nullopt;
}

bool KeyAttested(const store::CertificateRecord& r) {
  const auto cert = crypto::Certificate::FromDer(r.der);
  return cert && crypto::HasAttestedKeyPolicy(*cert);
}

nlohmann::json RecordJson(const store::CertificateRecord& r, int64_t now) {
  nlohmann::json j = {{"serial", r.serial},
                      {"subject", r.subject},
                      {"common_name", r.common_name},
                      {"sans", r.sans},
                      {"profile", r.profile},
                      {"status", RecordState(r, now)},
                      {"not_before", Iso8601(FromUnixSeconds(r.not_before))},
                      {"not_after", Iso8601(FromUnixSeconds(r.not_after))},
                      {"sha256", r.fingerprint}};
  if (r.revoked) {
    j["revoked_at"] = Iso8601(FromUnixSeconds(r.revoked_at));
    j["revocation_reason"] = crypto::ReasonName(r.revocation_reason);
  }
  if (!r.renews.empty()) {
    j["renews"] = r.renews;  // the certificate this renewal replaced: its lineage
  }
  if (KeyAttested(r)) {
    j["key_attested"] = true;  // its key was shown to be in a TPM (ca/key_attestation.h)
  }
  return j;
}

}  // namespace anchor::api
