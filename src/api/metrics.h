// SPDX-License-Identifier: Apache-2.0
// File: metrics.h: the server's counters and the enrollment latency histogram, Prometheus text.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace anchor::api {

// Metrics are lock-free counters shared by every server thread.
class Metrics final {
 public:
  // Upper bounds (seconds) of the enrollment latency buckets; +Inf is implied.
  static constexpr std::array<double, 10> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,  0.1,    0.25,  0.5,  1.0};

  std::atomic<uint64_t> issued{0};          // certificates issued by simpleenroll
  std::atomic<uint64_t> renewed{0};         // certificates issued by simplereenroll
  std::atomic<uint64_t> revoked{0};         // revocations through the admin API
  std::atomic<uint64_t> enroll_refused{0};  // enrollments answered with a 4xx
  std::atomic<uint64_t> tls_handshake_failures{0};
  std::atomic<uint64_t> connections_refused{0};  // beyond max_connections
  // connections_evicted counts connections closed to make room for a newer one: handshakes of
  // an address over its share or beyond max_handshakes, idle ones at max_connections.
  std::atomic<uint64_t> connections_evicted{0};
  std::atomic<int64_t> open_connections{0};

  // ObserveEnrollment records one enrollment's handling time (successful or not).
  void ObserveEnrollment(std::chrono::nanoseconds elapsed);

  // Render is the Prometheus text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> latency_sum_ns_{0};
};

}  // namespace anchor::api
