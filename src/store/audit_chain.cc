// SPDX-License-Identifier: Apache-2.0
// File: audit_chain.cc: audit entry hashing and chain verification.
#include "store/audit_chain.h"

#include "crypto/digest.h"

namespace anchor::store {
namespace {

void Field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out.push_back(':');
  out.append(value);
}

}  // namespace

std::string AuditHash(const AuditEntry& entry) {
  std::string canonical = "anchor-audit-v1|";
  Field(canonical, std::to_string(entry.seq));
  Field(canonical, std::to_string(entry.time));
  Field(canonical, entry.action);
  Field(canonical, entry.serial);
  Field(canonical, entry.subject);
  Field(canonical, entry.detail);
  Field(canonical, entry.prev_hash);
  return crypto::Sha256Hex(canonical);
}

std::vector<AuditFinding> VerifyAuditChain(const std::vector<AuditEntry>& entries) {
  std::vector<AuditFinding> findings;
  std::string expected_prev = kAuditGenesisHash;
  int64_t expected_seq = 1;
  for (const AuditEntry& e : entries) {
    if (e.seq != expected_seq) {
      findings.push_back({e.seq, "entries " + std::to_string(expected_seq) + ".." +
                                     std::to_string(e.seq - 1) + " are missing"});
    }
    if (e.prev_hash != expected_prev) {
      findings.push_back({e.seq, "does not link to the entry before it"});
    }
    if (AuditHash(e) != e.hash) {
      findings.push_back({e.seq, "was edited: its hash does not match its content"});
    }
    expected_prev = e.hash;
    expected_seq = e.seq + 1;
  }
  return findings;
}

}  // namespace anchor::store
