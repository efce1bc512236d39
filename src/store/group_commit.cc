// SPDX-License-Identifier: Apache-2.0
// File: group_commit.cc: leader/follower group commit over `Store::InsertEach`.
#include "store/group_commit.h"

#include <algorithm>
#include <vector>

namespace anchor::store {

Status GroupCommit::Insert(const CertificateRecord& record, int64_t now) {
  Waiter self{&record, now, std::nullopt};
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  while (!self.result) {
    if (committing_) {
      done_.wait(lock);
    } else {
      CommitGroup(lock);  // as leader: this group may or may not include `self`
    }
  }
  return *std::move(self.result);
}

void GroupCommit::CommitGroup(std::unique_lock<std::mutex>& lock) {
  committing_ = true;
  const size_t n = std::min(queue_.size(), max_group_);
  std::vector<Waiter*> group(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();

  std::vector<CertificateRecord> records;
  records.reserve(n);
  int64_t now = 0;
  for (const Waiter* w : group) {
    records.push_back(*w->record);
    now = std::max(now, w->now);  // the latest: a token must still be unexpired then
  }
  Result<std::vector<Status>> results = store_.InsertEach(records, now);

  lock.lock();
  for (size_t i = 0; i < n; ++i) {
    group[i]->result = results ? (*results)[i] : Status(results.error());
  }
  ++stats_.commits;
  stats_.records += n;
  committing_ = false;
  done_.notify_all();
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace anchor::store
