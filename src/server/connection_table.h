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
  // handshake_share_per_address is what one client address (an IPv6 /64) keeps of that budget
  // when it runs out: an address holding more gives way first, so that one address cannot
  // crowd out the others, while a burst from one address (a NAT, a fleet restarting) is not
  // cut short while there is room.
  size_t handshake_share_per_address = 32;
};

// ConnectionTable tracks open connections and decides, as nginx does with idle keep-alive
// connections when it runs out, who gives way to a newcomer: a connection still in its
// handshake or one that is idle can be closed without losing a request; one that is busy with
// a request never is. It is thread-safe.
class ConnectionTable final {
 public:
  // Phase is where a connection is: kSilent (accepted, nothing received yet), kHandshake (TLS
  // handshake bytes arriving), kIdle (waiting for a request), kBusy (reading or answering one).
  // kSilent and kHandshake count against the handshake budget; a silent connection gives way
  // before one that is handshaking: it cost its client nothing and proves nothing, while a
  // handshake in progress is often just waiting for a busy server.
  enum class Phase { kSilent, kHandshake, kIdle, kBusy };
  // Evict closes a connection that must give way; it is called with no lock held and must not
  // block (the transport posts the close to the connection's own thread).
  using Evict = std::function<void()>;
  using Id = uint64_t;

  // ConnectionTable holds at most `limits.max_connections`, of which at most half are
  // handshakes (whatever `limits.max_handshakes` asks): a handshake flood then meets its own
  // budget before the connections are all taken, and never pushes out an established client.
  explicit ConnectionTable(ConnectionLimits limits);

  // Admit registers a new connection from `address` (an IPv4 address or an IPv6 /64), silent,
  // and returns its id, or 0 when it must be refused. It first makes room: when the handshake
  // budget is spent, one of the address holding the most handshakes gives way if that address
  // holds more than its share, else one of anybody's: the oldest silent one, else the oldest;
  // when every connection is taken, the one idle the longest gives way, and without an idle
  // one the newcomer is refused.
  Id Admit(std::string_view address, Evict evict);

  // SetPhase moves connection `id` to `phase` (forward only: a connection does not go back to
  // its handshake); an idle connection queues behind the others idle. Unknown ids (connections
  // evicted meanwhile) are ignored.
  void SetPhase(Id id, Phase phase);

  // Remove forgets connection `id` (closed); unknown ids are ignored.
  void Remove(Id id);

  struct Counts {
    size_t total = 0, handshakes = 0, silent = 0, idle = 0, evicted = 0;
  };
  Counts counts() const;

 private:
  struct Entry {
    std::string address;
    Phase phase = Phase::kSilent;
    Evict evict;
    std::list<Id>::iterator queued;  // in handshakes_ or idle_, by phase; unused when busy
  };
  // Unqueue takes `e` out of the queue of its phase. Caller holds mu_.
  void Unqueue(Entry& e);
  // TakeVictim removes `id` from the table and returns its Evict. Caller holds mu_.
  Evict TakeVictim(Id id);
  // HandshakeToEvict is the handshake that gives way when all are taken (see Admit). Caller
  // holds mu_; there is at least one handshake.
  Id HandshakeToEvict() const;

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  Id next_id_ = 1;
  std::unordered_map<Id, Entry> entries_;
  std::list<Id> handshakes_;  // silent or handshaking, oldest first
  std::list<Id> idle_;        // idle the longest first
  std::unordered_map<std::string, size_t> handshakes_by_address_;
  size_t evicted_ = 0;
};

}  // namespace anchor::server
