// SPDX-License-Identifier: Apache-2.0
// File: group_commit.h: concurrent certificate inserts share one durable transaction.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "core/error.h"
#include "store/store.h"

namespace anchor::store {

// GroupCommit lets concurrent callers share one transaction, and so one fsync: each `Insert`
// returns only once its record is durable, or refused. The first caller to find no commit in
// progress leads: it takes every record queued so far (at most `max_group`), writes them with
// `Store::InsertEach` and hands each caller its own result; callers arriving meanwhile form the
// next group. Nothing waits on a timer: a lone caller commits at once, and a group grows only
// as far as callers pile up behind the previous commit. A record refused inside a group (a
// serial that exists, a token used meanwhile) fails alone; the others commit.
// Thread-safe; it borrows `store`, which must outlive it.
class GroupCommit final {
 public:
  explicit GroupCommit(Store& store, size_t max_group = 256)
      : store_(store), max_group_(max_group) {}

  // Insert records `record` (consuming its token and auditing it, as `Store::InsertCertificates`
  // does) at `now` (Unix seconds) and returns when that is durable. Errors are the store's.
  Status Insert(const CertificateRecord& record, int64_t now);

  // Stats counts commits and records, so benchmarks can report the mean group size.
  struct Stats {
    uint64_t commits = 0;
    uint64_t records = 0;
  };
  Stats stats() const;

 private:
  struct Waiter {
    const CertificateRecord* record;
    int64_t now;
    std::optional<Status> result;
  };
  // CommitGroup writes the first queued waiters in one transaction; `lock` is held on entry
  // and on return, released while the store works.
  void CommitGroup(std::unique_lock<std::mutex>& lock);

  Store& store_;
  const size_t max_group_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  bool committing_ = false;    // a leader is writing a group
  std::deque<Waiter*> queue_;  // waiting for a leader, oldest first
  Stats stats_;
};

}  // namespace anchor::store
