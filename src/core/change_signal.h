// SPDX-License-Identifier: Apache-2.0
// File: change_signal.h: "something changed" told to whoever waits, across threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace anchor {

struct ChangeSignalListeners;  // change_signal.cc

// ChangeSignal tells listeners that something they watch (e.g. the revocations of a store) has
// changed, without saying what: a listener reads the new state itself. It carries a version that
// every Notify raises, so that a waiter can take the version, read the state, and then wait only
// if the version is still the one it took (no change lost between reading and subscribing).
//
// `live` says whether the signal can be relied on: false while its source cannot see changes
// made elsewhere (a PostgreSQL listener that lost its connection), when a waiter must not wait
// for it. Thread-safe. Listeners are called on the notifying thread, with no lock of the
// signal's held, and must return quickly (post work elsewhere).
class ChangeSignal final {
 public:
  using Listener = std::function<void()>;

  // Subscription keeps one listener registered for as long as it lives. Destroying it waits for
  // nothing: a Notify already running may still call the listener once, so a listener must only
  // touch what outlives the Subscription or is shared with it.
  class Subscription final {
   public:
    Subscription() = default;
    ~Subscription();
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class ChangeSignal;
    Subscription(std::weak_ptr<ChangeSignalListeners> listeners, uint64_t id)
        : listeners_(std::move(listeners)), id_(id) {}
    void Reset();
    std::weak_ptr<ChangeSignalListeners> listeners_;
    uint64_t id_ = 0;
  };

  ChangeSignal();
  ~ChangeSignal();
  ChangeSignal(const ChangeSignal&) = delete;
  ChangeSignal& operator=(const ChangeSignal&) = delete;

  // version is raised by each Notify (and by a change of `live`).
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  bool live() const { return live_.load(std::memory_order_acquire); }

  // Notify raises the version and calls every listener.
  void Notify();
  // SetLive records whether the source sees every change; a change of it notifies, so that
  // waiters re-read (a source that comes back may have missed changes; one that goes away must
  // not leave them waiting for it).
  void SetLive(bool live);
  // Subscribe registers `listener` until the returned Subscription is destroyed.
  [[nodiscard]] Subscription Subscribe(Listener listener);

 private:
  std::atomic<uint64_t> version_{0};
  std::atomic<bool> live_{true};
  std::shared_ptr<ChangeSignalListeners> listeners_;
};

}  // namespace anchor
