// SPDX-License-Identifier: Apache-2.0
// File: connection_table.h: which connections `anchor serve` holds, in which phase, and which
// one gives way when a new connection needs room. No Asio: the transport hands in a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace anchor::server {

// ConnectionLimits bound what clients may hold open ([server] keys of anchor.toml).
struct ConnectionLimits {
  // max_connections bounds every open connection (file descriptors).
  size_t max_connections = 1024;
  // max_handshakes bounds connections that have not finished the TLS handshake: the cheapest
  // thing for a client to open and the most expensive to let wait, so a budget of their own.
  size_t max_handshakes = 256;
  // max_handshakes_per_address bounds those of one client address (an IPv6 /64), so that one
  // address cannot fill the handshake budget for everyone else.
  size_t max_handshakes_per_address = 32;
};

// ConnectionTable tracks open connections and decides, as nginx does with idle keep-alive
// connections when it runs out, who gives way to a newcomer: a connection still in its
// handshake or one that is idle can be closed without losing a request; one that is busy with
// a request never is. It is thread-safe.
class ConnectionTable final {
 public:
  enum class Phase { kHandshake, kIdle, kBusy };
  // Evict closes a connection that must give way; it is called with no lock held and must not
  // block (the transport posts the close to the connection's own thread).
  using Evict = std::function<void()>;
  using Id = uint64_t;

  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}

  // Admit registers a new connection from `address` (see `AddressKey`) in the handshake phase
  // and returns its id, or 0 when it must be refused. It first makes room, in this order: when
  // `address` already has its share of handshakes, its oldest handshake gives way; when all
  // handshakes are taken, the oldest one gives way; when every connection is taken, the one
  // idle the longest gives way, and without an idle one the newcomer is refused.
  Id Admit(std::string_view address, Evict evict);

  // SetPhase moves connection `id` to `phase`; an idle connection queues behind the others
  // idle. Unknown ids (connections evicted meanwhile) are ignored.
  void SetPhase(Id id, Phase phase);

  // Remove forgets connection `id` (closed); unknown ids are ignored.
  void Remove(Id id);

  struct Counts {
    size_t total = 0, handshakes = 0, idle = 0, evicted = 0;
  };
  Counts counts() const;

 private:
  struct Entry {
    std::string address;
    Phase phase = Phase::kHandshake;
    Evict evict;
    std::list<Id>::iterator queued;  // in handshakes_ or idle_, by phase; unused when busy
  };
  // Unqueue takes `e` out of the queue of its phase. Caller holds mu_.
  void Unqueue(Entry& e);
  // TakeVictim removes `id` from the table and returns its Evict. Caller holds mu_.
  Evict TakeVictim(Id id);
  // OldestHandshakeOf is the oldest handshake of `address`, or 0. Caller holds mu_.
  Id OldestHandshakeOf(std::string_view address) const;

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  Id next_id_ = 1;
  std::unordered_map<Id, Entry> entries_;
  std::list<Id> handshakes_;  // oldest first
  std::list<Id> idle_;        // idle the longest first
  std::unordered_map<std::string, size_t> handshakes_by_address_;
  size_t evicted_ = 0;
};

}  // namespace anchor::server
