// SPDX-License-Identifier: Apache-2.0
#include "store/audit_chain.h"

#include <gtest/gtest.h>

namespace anchor::store {
namespace {

std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> out;
  std::string prev = kAuditGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEntry e{i, 100 + i, "issue", "0" + std::to_string(i), "CN=x", "", prev, ""};
    e.hash = AuditHash(e);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

TEST(AuditChainTest, IntactChainHasNoFindings) { EXPECT_TRUE(VerifyAuditChain(Chain(5)).empty()); }

TEST(AuditChainTest, DetectsAnEditedEntry) {
  auto log = Chain(5);
  log[2].subject = "CN=someone else";
  const auto findings = VerifyAuditChain(log);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].seq, 3);
}

TEST(AuditChainTest, DetectsADeletedEntry) {
  auto log = Chain(5);
  log.erase(log.begin() + 1);
  EXPECT_FALSE(VerifyAuditChain(log).empty());
}

TEST(AuditChainTest, FieldBoundariesMatter) {
  AuditEntry a{1, 1, "ab", "c", "", "", kAuditGenesisHash, ""};
  AuditEntry b{1, 1, "a", "bc", "", "", kAuditGenesisHash, ""};
  EXPECT_NE(AuditHash(a), AuditHash(b));
}

}  // namespace
}  // namespace anchor::store
