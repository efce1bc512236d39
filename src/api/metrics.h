// SPDX-License-Identifier: Apache-2.0
// File: metrics.h: the server's counters and the enrollment latency histogram, Prometheus text.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace anchor::api {

// Metrics are lock-free counters shared by every server thread, and the sources of what is
// read only when /metrics is scraped (ScrapeSource).
class Metrics final {
 public:
  // kRoutes are the values of the "route" label of the request counters and the latency
  // histogram: a fixed set (so a client cannot grow the series), "other" for any other path;
  // kMetricsListenerRoute for whatever is asked of the plain metrics listener (--metrics-listen),
  // so that the routes of the main listener count only its requests.
  static constexpr std::string_view kMetricsListenerRoute = "metrics_listener";
  static constexpr std::array<std::string_view, 17> kRoutes = {"/.well-known/est/cacerts",
                                                               "/.well-known/est/simpleenroll",
                                                               "/.well-known/est/simplereenroll",
                                                               "/.well-known/est/csrattrs",
                                                               "/ocsp",
                                                               "/crl",
                                                               "/intermediate.crt",
                                                               "/api/v1/revocations",
                                                               "/api/v1/certificates",
                                                               "/api/v1/certificates/revoke",
                                                               "/api/v1/tokens",
                                                               "/api/v1/attestation/challenge",
                                                               "/metrics",
                                                               "/hello",
                                                               "/healthz",
                                                               kMetricsListenerRoute,
                                                               "other"};
  // ScrapeSource renders more series (exposition text, with HELP and TYPE) at each scrape.
  using ScrapeSource = std::function<std::string()>;

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

  // feed_last_read is when the revocation feed was last read (Unix seconds; 0: never).
  std::atomic<int64_t> feed_last_read{0};

  // ObserveEnrollment records one enrollment's handling time (successful or not).
  void ObserveEnrollment(std::chrono::nanoseconds elapsed);
  // ObserveRequest counts one answered request of `route` (one of kRoutes; another value counts
  // as "other") by its status class, and its latency.
  void ObserveRequest(std::string_view route, int status, std::chrono::nanoseconds elapsed);
  // AddScrapeSource adds series computed at each scrape (read from the store and from files, so
  // that what other processes change shows). Call before the server starts: not thread-safe.
  void AddScrapeSource(ScrapeSource source) { sources_.push_back(std::move(source)); }

  // Render is the Prometheus text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  void RenderRoutes(std::string& out) const;

  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> latency_sum_ns_{0};
  // Per route: answers by status class (1xx..5xx), latency buckets (non-cumulative, last +Inf)
  // and sum.
  struct RouteCounters {
    std::array<std::atomic<uint64_t>, 5> by_class{};
    std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<RouteCounters, kRoutes.size()> routes_{};
  std::vector<ScrapeSource> sources_;
};

}  // namespace anchor::api
