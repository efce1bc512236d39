// SPDX-License-Identifier: Apache-2.0
// File: schema_text.h: what every SQL backend of the store writes the same way: the certificate
// columns in one order, and lists of names as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace anchor::store {

// kCertColumns are the certificates table's columns in the order the backends read and write
// them (CertificateRecord's fields).
inline constexpr char kCertColumns[] =
    "serial, issuer, subject, common_name, sans, profile, not_before, not_after, status, "
    "revoked_at, revocation_reason, der, fingerprint, token_hash, created_at, renews, "
    "issuer_fingerprint";

// kTokenColumns and kAuditColumns are the tokens and audit_log tables' columns in the order the
// backends read them (TokenRecord's and AuditEntry's fields).
inline constexpr char kTokenColumns[] =
    "hash, common_name, sans, profile, created_at, expires_at, used_at, used_by";
inline constexpr char kAuditColumns[] =
    "seq, time, action, serial, subject, detail, prev_hash, hash";

// kCrlColumns are the crls table's columns in the order the backends read them (StoredCrl's
// fields).
inline constexpr char kCrlColumns[] =
    "issuer_fingerprint, crl_number, revocation_cursor, this_update, next_update, der, built_by, "
    "created_at";

// CrlAuditDetail is the detail of the "crl" audit entry that records a stored CRL.
std::string CrlAuditDetail(const CrlDraft& draft, std::string_view issuer_fingerprint);

// JoinLines stores a list of names ("dns:x", "ip:y") as one text column, one per line;
// SplitLines reads it back, skipping empty lines.
std::string JoinLines(const std::vector<std::string>& items);
std::vector<std::string> SplitLines(std::string_view text);

}  // namespace anchor::store
