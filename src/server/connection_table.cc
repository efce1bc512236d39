// SPDX-License-Identifier: Apache-2.0
// File: connection_table.cc: admission and eviction of connections.
#include "server/connection_table.h"

#include <algorithm>
#include <vector>

namespace anchor::server {
namespace {

// IsHandshake is true for the phases that count against the handshake budget.
bool IsHandshake(ConnectionTable::Phase p) {
  return p == ConnectionTable::Phase::kSilent || p == ConnectionTable::Phase::kHandshake;
}

}  // namespace

ConnectionTable::ConnectionTable(ConnectionLimits limits)
    : limits_([&limits] {
        limits.max_handshakes =
            std::min(limits.max_handshakes, std::max<size_t>(1, limits.max_connections / 2));
        return limits;
      }()) {}

ConnectionTable::Id ConnectionTable::Admit(std::string_view address, Evict evict) {
  std::vector<Evict> victims;
  Id id = 0;
  {
    std::lock_guard lock(mu_);
    if (handshakes_.size() >= limits_.max_handshakes && !handshakes_.empty()) {
      victims.push_back(TakeVictim(HandshakeToEvict()));
    }
    if (entries_.size() >= limits_.max_connections && !idle_.empty()) {
      victims.push_back(TakeVictim(idle_.front()));
    }
    if (entries_.size() < limits_.max_connections && limits_.max_handshakes > 0) {
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
  if (IsHandshake(e.phase) && IsHandshake(phase)) {
    e.phase = phase;  // silent -> handshaking: it keeps its place among the handshakes
    return;
  }
  Unqueue(e);
  e.phase = phase;
  if (phase == Phase::kIdle) {
    e.queued = idle_.insert(idle_.end(), id);
  }
  // Busy connections are in no queue: they never give way.
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
  const size_t silent = std::count_if(handshakes_.begin(), handshakes_.end(), [this](Id id) {
    return entries_.at(id).phase == Phase::kSilent;
  });
  return Counts{entries_.size(), handshakes_.size(), silent, idle_.size(), evicted_};
}

void ConnectionTable::Unqueue(Entry& e) {
  if (IsHandshake(e.phase)) {
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

ConnectionTable::Id ConnectionTable::HandshakeToEvict() const {
  // At most max_handshakes handshakes and as many addresses: scanned only when all are taken.
  const auto most =
      std::max_element(handshakes_by_address_.begin(), handshakes_by_address_.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  const bool over_share = most->second > limits_.handshake_share_per_address;
  Id oldest = 0;
  for (const Id id : handshakes_) {
    const Entry& e = entries_.at(id);
    if (over_share && e.address != most->first) {
      continue;
    }
    if (e.phase == Phase::kSilent) {
      return id;
    }
    oldest = oldest == 0 ? id : oldest;
  }
  return oldest;
}

}  // namespace anchor::server
