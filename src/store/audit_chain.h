// SPDX-License-Identifier: Apache-2.0
// File: audit_chain.h: the hash chain that makes the audit log tamper-evident.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace anchor::store {

// kAuditGenesisHash is the prev_hash of the first entry.
inline constexpr char kAuditGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// AuditHash computes the hash of `entry` from every field but `hash` itself. The encoding is
// length-prefixed so no two different entries encode alike.
std::string AuditHash(const AuditEntry& entry);

// AuditFinding is one break in the chain.
struct AuditFinding {
  int64_t seq;
  std::string problem;
};

// VerifyAuditChain walks `entries` (oldest first) and reports every entry that was edited
// (hash mismatch), every gap in the sequence (a deleted entry) and every broken link.
std::vector<AuditFinding> VerifyAuditChain(const std::vector<AuditEntry>& entries);

}  // namespace anchor::store
