// SPDX-License-Identifier: Apache-2.0
// File: connection_table.cc: admission and eviction of connections.
#include "server/connection_table.h"

#include <vector>

namespace anchor::server {

ConnectionTable::Id ConnectionTable::Admit(std::string_view address, Evict evict) {
  std::vector<Evict> victims;
  Id id = 0;
  {
    std::lock_guard lock(mu_);
    const auto mine = handshakes_by_address_.find(std::string(address));
    if (mine != handshakes_by_address_.end() &&
        mine->second >= limits_.max_handshakes_per_address) {
      victims.push_back(TakeVictim(OldestHandshakeOf(address)));
    }
    if (handshakes_.size() >= limits_.max_handshakes && !handshakes_.empty()) {
      victims.push_back(TakeVictim(handshakes_.front()));
    }
    if (entries_.size() >= limits_.max_connections && !idle_.empty()) {
      victims.push_back(TakeVictim(idle_.front()));
    }
    if (entries_.size() < limits_.max_connections && limits_.max_handshakes > 0 &&
        limits_.max_handshakes_per_address > 0) {
      id = next_id_++;
      Entry& e = entries_[id];
      e.address = std::string(address);
      e.evict = std::move(evict);
      e.queued = handshakes_.insert(handshakes_.end(), id);
      ++handshakes_by_address_[e.address];
    }
  }
  for (const Evict& victim : victims) {
    if (victim) {
      victim();
    }
  }
  return id;
}

void ConnectionTable::SetPhase(Id id, Phase phase) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(id);
  if (it == entries_.end() || it->second.phase == phase) {
    return;
  }
  Entry& e = it->second;
  Unqueue(e);
  e.phase = phase;
  if (phase == Phase::kIdle) {
    e.queued = idle_.insert(idle_.end(), id);
  }
  // A connection never goes back to its handshake, and busy ones are in no queue.
}

void ConnectionTable::Remove(Id id) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  Unqueue(it->second);
  entries_.erase(it);
}

ConnectionTable::Counts ConnectionTable::counts() const {
  std::lock_guard lock(mu_);
  return Counts{entries_.size(), handshakes_.size(), idle_.size(), evicted_};
}

void ConnectionTable::Unqueue(Entry& e) {
  if (e.phase == Phase::kHandshake) {
    handshakes_.erase(e.queued);
    const auto count = handshakes_by_address_.find(e.address);
    if (--count->second == 0) {
      handshakes_by_address_.erase(count);
    }
  } else if (e.phase == Phase::kIdle) {
    idle_.erase(e.queued);
  }
}

ConnectionTable::Evict ConnectionTable::TakeVictim(Id id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) {
    return nullptr;
  }
  Unqueue(it->second);
  Evict evict = std::move(it->second.evict);
  entries_.erase(it);
  ++evicted_;
  return evict;
}

ConnectionTable::Id ConnectionTable::OldestHandshakeOf(std::string_view address) const {
  // At most max_handshakes entries, scanned only when an address is over its share.
  for (const Id id : handshakes_) {
    if (entries_.at(id).address == address) {
      return id;
    }
  }
  return 0;
}

}  // namespace anchor::server
