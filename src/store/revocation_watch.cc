// SPDX-License-Identifier: Apache-2.0
// File: revocation_watch.cc: the default watch for other processes' revocations: polling.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace anchor::store {
namespace {

// PollingWatch reads LatestRevocation every kRevocationPollInterval and notifies the store's
// signal when it moved. A read that fails is tried again at the next interval; meanwhile the
// signal is not live, so that feed waiters do not wait for what it cannot see.
class PollingWatch final : public RevocationWatch {
 public:
  PollingWatch(Store& store, int64_t latest) : store_(store), latest_(latest) {
    thread_ = std::thread([this] { Run(); });
  }
  ~PollingWatch() override {
    {
      const std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  PollingWatch(const PollingWatch&) = delete;
  PollingWatch& operator=(const PollingWatch&) = delete;

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, kRevocationPollInterval, [this] { return stop_; })) {
      lock.unlock();
      Check();
      lock.lock();
    }
  }

  void Check() {
    Result<int64_t> latest = store_.LatestRevocation();
    store_.revocations().SetLive(latest.has_value());
    if (latest.has_value() && *latest != latest_) {
      latest_ = *latest;
      store_.revocations().Notify();
    }
  }

  Store& store_;
  int64_t latest_;  // read by the thread alone after construction
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace

Result<std::unique_ptr<RevocationWatch>> Store::WatchRevocations() {
  ANCHOR_ASSIGN_OR_RETURN(const int64_t latest, LatestRevocation());
  return std::unique_ptr<RevocationWatch>(std::make_unique<PollingWatch>(*this, latest));
}

}  // namespace anchor::store
