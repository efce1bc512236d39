// SPDX-License-Identifier: Apache-2.0
// File: retained_ledger.h: which certificate published the retained message of each topic, so
// that a revocation also silences what the revoked certificate left retained on the broker.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace anchor::mqtt {

// RetainedPublisher is one retained message the plugin admitted: a digest of its payload and
// the serial of the certificate that published it.
struct RetainedPublisher {
  std::string digest;  // the first 16 bytes of the payload's SHA-256, raw
  std::string serial;
};

// RetainedDigest is the digest a RetainedPublisher keeps of `payload`.
std::string RetainedDigest(std::span<const uint8_t> payload);

// RetainedLedger remembers, per topic, the publishers of the last retained messages the plugin
// admitted there. The broker keeps one retained message per topic and tells a plugin neither
// which one it kept nor who sent it; the payload's digest tells which publish a retained message
// came from, even when a publish admitted later never reached the store (a QoS 2 publish
// abandoned before PUBREL). A message the ledger cannot match came from somewhere the plugin did
// not admit (a bridge, the broker itself) and is left alone. Used on the broker's thread only.
class RetainedLedger final {
 public:
  // kPublishersPerTopic is how many recent publishers a topic keeps.
  static constexpr size_t kPublishersPerTopic = 2;

  // Record notes that `serial` published `payload` on `topic` with the retain flag.
  void Record(std::string_view topic, std::span<const uint8_t> payload, std::string_view serial);
  // PublisherOf returns the serial that published `payload` retained on `topic`, or null when
  // the ledger does not know that message. The pointer is valid until the next Record.
  const std::string* PublisherOf(std::string_view topic, std::span<const uint8_t> payload) const;
  // Knows is a cheap test that `topic` has a recorded publisher, before hashing a payload.
  bool Knows(std::string_view topic) const { return topics_.find(topic) != topics_.end(); }

  // ForEach and Restore carry the ledger through the state file.
  void ForEach(const std::function<void(const std::string&, const std::vector<RetainedPublisher>&)>&
                   fn) const;
  void Restore(std::string topic, std::vector<RetainedPublisher> publishers);
  // TakeChanged tells whether the ledger changed since the last call.
  bool TakeChanged() { return std::exchange(changed_, false); }

  size_t size() const { return topics_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<RetainedPublisher>, StringHash, std::equal_to<>>
      topics_;
  bool changed_ = false;
};

}  // namespace anchor::mqtt
