// SPDX-License-Identifier: Apache-2.0
// File: retained_ledger.cc: publishers of retained messages, by topic and payload digest.
#include "plugins/mosquitto/retained_ledger.h"

#include <algorithm>

#include "crypto/digest.h"

namespace anchor::mqtt {
namespace {

// kDigestBytes of SHA-256 tell one payload of a topic from another; no publisher can make two
// payloads collide at that length.
constexpr size_t kDigestBytes = 16;

}  // namespace

std::string RetainedDigest(std::span<const uint8_t> payload) {
  const crypto::Sha256Digest d = crypto::Sha256(payload);
  return std::string(reinterpret_cast<const char*>(d.data()), kDigestBytes);
}

void RetainedLedger::Record(std::string_view topic, std::span<const uint8_t> payload,
                            std::string_view serial) {
  if (payload.empty()) {
    //= MQTT 3.1.1 section 3.3.1.3 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/)
    //# Additionally any existing retained message with the same topic name MUST be removed and
    //# any future subscribers for the topic will not receive a retained message [MQTT-3.3.1-10].
    if (const auto it = topics_.find(topic); it != topics_.end()) {
      topics_.erase(it);
      changed_ = true;
    }
    return;
  }
  std::string digest = RetainedDigest(payload);
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    it = topics_.emplace(std::string(topic), std::vector<RetainedPublisher>{}).first;
  }
  std::vector<RetainedPublisher>& publishers = it->second;
  std::erase_if(publishers, [&](const RetainedPublisher& p) { return p.digest == digest; });
  publishers.insert(publishers.begin(), RetainedPublisher{std::move(digest), std::string(serial)});
  if (publishers.size() > kPublishersPerTopic) {
    publishers.resize(kPublishersPerTopic);
  }
  changed_ = true;
}

const std::string* RetainedLedger::PublisherOf(std::string_view topic,
                                               std::span<const uint8_t> payload) const {
  const auto it = topics_.find(topic);
  if (it == topics_.end()) {
    return nullptr;
  }
  const std::string digest = RetainedDigest(payload);
  for (const RetainedPublisher& p : it->second) {
    if (p.digest == digest) {
      return &p.serial;
    }
  }
  return nullptr;
}

void RetainedLedger::ForEach(
    const std::function<void(const std::string&, const std::vector<RetainedPublisher>&)>& fn)
    const {
  for (const auto& [topic, publishers] : topics_) {
    fn(topic, publishers);
  }
}

void RetainedLedger::Restore(std::string topic, std::vector<RetainedPublisher> publishers) {
  if (publishers.size() > kPublishersPerTopic) {
    publishers.resize(kPublishersPerTopic);
  }
  topics_[std::move(topic)] = std::move(publishers);
}

}  // namespace anchor::mqtt
