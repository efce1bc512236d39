// SPDX-License-Identifier: Apache-2.0
// File: change_signal.cc: listeners of a ChangeSignal.
#include "core/change_signal.h"

#include <vector>

namespace anchor {

// ChangeSignalListeners is shared by the signal and its subscriptions, so that a subscription
// that outlives its signal unregisters from nothing.
struct ChangeSignalListeners {
  std::mutex mu;
  uint64_t next_id = 1;
  std::map<uint64_t, std::shared_ptr<ChangeSignal::Listener>> by_id;
};

ChangeSignal::ChangeSignal() : listeners_(std::make_shared<ChangeSignalListeners>()) {}
ChangeSignal::~ChangeSignal() = default;

void ChangeSignal::Notify() {
  version_.fetch_add(1, std::memory_order_acq_rel);
  // Copied out so that a listener may subscribe or unsubscribe without deadlock.
  std::vector<std::shared_ptr<Listener>> calls;
  {
    const std::lock_guard lock(listeners_->mu);
    calls.reserve(listeners_->by_id.size());
    for (const auto& [id, listener] : listeners_->by_id) {
      calls.push_back(listener);
    }
  }
  for (const std::shared_ptr<Listener>& listener : calls) {
    (*listener)();
  }
}

void ChangeSignal::SetLive(bool live) {
  if (live_.exchange(live, std::memory_order_acq_rel) != live) {
    Notify();
  }
}

ChangeSignal::Subscription ChangeSignal::Subscribe(Listener listener) {
  const std::lock_guard lock(listeners_->mu);
  const uint64_t id = listeners_->next_id++;
  listeners_->by_id.emplace(id, std::make_shared<Listener>(std::move(listener)));
  return Subscription(listeners_, id);
}

ChangeSignal::Subscription::~Subscription() { Reset(); }

ChangeSignal::Subscription::Subscription(Subscription&& other) noexcept
    : listeners_(std::move(other.listeners_)), id_(other.id_) {
  other.id_ = 0;
}

ChangeSignal::Subscription& ChangeSignal::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    listeners_ = std::move(other.listeners_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

void ChangeSignal::Subscription::Reset() {
  if (id_ == 0) {
    return;
  }
  if (auto listeners = listeners_.lock()) {
    const std::lock_guard lock(listeners->mu);
    listeners->by_id.erase(id_);
  }
  id_ = 0;
  listeners_.reset();
}

}  // namespace anchor
