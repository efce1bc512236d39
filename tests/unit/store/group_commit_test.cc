// SPDX-License-Identifier: Apache-2.0
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor::store {
namespace {

using testing::ErrorIs;
using testing::IsOk;

CertificateRecord Record(const std::string& serial) {
  CertificateRecord r;
  r.serial = serial;
  r.issuer = "CN=CA";
  r.subject = "CN=" + serial;
  r.common_name = serial;
  r.profile = "device";
  r.not_after = 2000;
  r.der = {0x30, 0x00};
  r.fingerprint = "fp-" + serial;
  return r;
}

class GroupCommitTest : public testing::TempDirTest {};

// Many threads insert at once on a database file (fsync on every commit): each insert returns
// once durable, every record is there once, and the commits number no more than the records.
TEST_F(GroupCommitTest, ConcurrentInsertsAreAllDurable) {
  auto store = OpenSqliteStore(Path("ca.db")).value();
  GroupCommit commit(*store);
  constexpr int kThreads = 16;
  constexpr int kEach = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kEach; ++k) {
        const CertificateRecord r = Record(std::to_string(t) + "x" + std::to_string(k));
        ASSERT_THAT(commit.Insert(r, 1), IsOk());
        // Durable on return: another connection sees it.
        ASSERT_THAT(store->FindBySerial(r.serial), IsOk());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(store->CountCertificates().value(), kThreads * kEach);
  const GroupCommit::Stats stats = commit.stats();
  EXPECT_EQ(stats.records, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_LE(stats.commits, stats.records);
  EXPECT_TRUE(VerifyAuditChain(store->AuditLog().value()).empty());
}

// A duplicate serial sent by several threads at once: one commits, the others get
// kAlreadyExists, and their neighbours in the same group are not affected.
TEST_F(GroupCommitTest, ADuplicateFailsAloneInsideAGroup) {
  auto store = OpenSqliteStore(Path("ca.db")).value();
  GroupCommit commit(*store);
  std::atomic<int> ok{0}, duplicate{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const Status dup = commit.Insert(Record("same"), 1);
      (dup ? ok : duplicate)++;
      if (!dup) {
        EXPECT_THAT(dup, ErrorIs(Code::kAlreadyExists));
      }
      EXPECT_THAT(commit.Insert(Record("own-" + std::to_string(t)), 1), IsOk());
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(duplicate.load(), 7);
  EXPECT_EQ(store->CountCertificates().value(), 9);
}

}  // namespace
}  // namespace anchor::store
