// SPDX-License-Identifier: Apache-2.0
// File: record_json.h: a stored certificate as JSON, for `anchor list --json` and the admin API.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "store/store.h"

namespace anchor::api {

// RecordState is "valid", "revoked" or "expired" at `now` (Unix seconds).
std::string RecordState(const store::CertificateRecord& record, int64_t now);

// ParseStatusFilter reads "valid", "revoked", "expired" or "any" (the admin API's and
// `anchor list`'s --status); nullopt for anything else.
std::optional<store::StatusFilter> ParseStatusFilter(std::string_view status);

// KeyAttested tells whether the record's certificate carries crypto::kTpmAttestedKeyPolicy: its
// key was shown to be in a TPM when it was issued.
bool KeyAttested(const store::CertificateRecord& record);

// RecordJson is the record's public fields (no DER, no token hash), times in ISO 8601;
// "key_attested": true for a certificate whose key was attested (KeyAttested).
nlohmann::json RecordJson(const store::CertificateRecord& record, int64_t now);

}  // namespace anchor::api
