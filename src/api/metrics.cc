// SPDX-License-Identifier: Apache-2.0
// File: metrics.cc: histogram updates and the text exposition format.
#include "api/metrics.h"

#include <algorithm>
#include <cstdio>

namespace anchor::api {
namespace {

void Counter(std::string& out, const char* name, const char* help, uint64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
         " " + std::to_string(value) + "\n";
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

size_t Bucket(double seconds) {
  size_t i = 0;
  while (i < Metrics::kLatencyBounds.size() && seconds > Metrics::kLatencyBounds[i]) {
    ++i;
  }
  return i;
}

}  // namespace

void Metrics::ObserveRequest(std::string_view route, int status, std::chrono::nanoseconds elapsed) {
  size_t r = 0;
  while (r + 1 < kRoutes.size() && kRoutes[r] != route) {
    ++r;
  }
  RouteCounters& c = routes_[r];
  const int cls = std::clamp(status / 100, 1, 5) - 1;
  c.by_class[static_cast<size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
  c.buckets[Bucket(std::chrono::duration<double>(elapsed).count())].fetch_add(
      1, std::memory_order_relaxed);
  c.sum_ns.fetch_add(static_cast<uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

void Metrics::ObserveEnrollment(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  size_t i = 0;
  while (i < kLatencyBounds.size() && seconds > kLatencyBounds[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);  // non-cumulative here; summed in Render
  latency_sum_ns_.fetch_add(static_cast<uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

void Metrics::RenderRoutes(std::string& out) const {
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  out +=
      "# HELP anchor_http_requests_total Requests answered, by route and status class.\n"
      "# TYPE anchor_http_requests_total counter\n";
  for (size_t r = 0; r < kRoutes.size(); ++r) {
    for (size_t k = 0; k < 5; ++k) {
      const uint64_t n = routes_[r].by_class[k].load(std::memory_order_relaxed);
      if (n > 0) {
        out += "anchor_http_requests_total{route=\"" + std::string(kRoutes[r]) +
               "\",status_class=\"" + kClasses[k] + "\"} " + std::to_string(n) + "\n";
      }
    }
  }
  const char* h = "anchor_http_request_duration_seconds";
  out += std::string("# HELP ") + h +
         " Time from a request's first byte to its answer written, by route.\n# TYPE " + h +
         " histogram\n";
  for (size_t r = 0; r < kRoutes.size(); ++r) {
    const RouteCounters& c = routes_[r];
    uint64_t cumulative = 0;
    std::string series;
    for (size_t i = 0; i < c.buckets.size(); ++i) {
      cumulative += c.buckets[i].load(std::memory_order_relaxed);
      const std::string le = i < kLatencyBounds.size() ? Seconds(kLatencyBounds[i]) : "+Inf";
      series += std::string(h) + "_bucket{route=\"" + std::string(kRoutes[r]) + "\",le=\"" + le +
                "\"} " + std::to_string(cumulative) + "\n";
    }
    if (cumulative == 0) {
      continue;  // a route never asked: no series
    }
    const std::string label = "{route=\"" + std::string(kRoutes[r]) + "\"}";
    out += series + h + "_sum" + label + " " + Seconds(c.sum_ns.load() / 1e9) + "\n" + h +
           "_count" + label + " " + std::to_string(cumulative) + "\n";
  }
}

//= https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
std::string Metrics::Render() const {
  std::string out;
  Counter(out, "anchor_certificates_issued_total", "Certificates issued by EST simpleenroll.",
          issued.load());
  Counter(out, "anchor_certificates_renewed_total", "Certificates issued by EST simplereenroll.",
          renewed.load());
  Counter(out, "anchor_certificates_revoked_total", "Revocations through the admin API.",
          revoked.load());
  Counter(out, "anchor_enrollments_refused_total", "Enrollments answered with a 4xx status.",
          enroll_refused.load());
  Counter(out, "anchor_tls_handshake_failures_total", "TLS handshakes that failed.",
          tls_handshake_failures.load());
  Counter(out, "anchor_connections_refused_total", "Connections closed at max_connections.",
          connections_refused.load());
  Counter(out, "anchor_connections_evicted_total",
          "Handshaking or idle connections closed to make room for a new one.",
          connections_evicted.load());
  out +=
      "# HELP anchor_open_connections Connections open now.\n"
      "# TYPE anchor_open_connections gauge\n"
      "anchor_open_connections " +
      std::to_string(open_connections.load()) + "\n";
  const char* h = "anchor_enrollment_duration_seconds";
  out += std::string("# HELP ") + h + " Time to answer an EST enrollment or re-enrollment.\n" +
         "# TYPE " + h + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < kLatencyBounds.size() ? Seconds(kLatencyBounds[i]) : "+Inf";
    out += std::string(h) + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += std::string(h) + "_sum " + Seconds(latency_sum_ns_.load() / 1e9) + "\n";
  out += std::string(h) + "_count " + std::to_string(cumulative) + "\n";  // = the +Inf bucket
  RenderRoutes(out);
  out +=
      "# HELP anchor_revocation_feed_last_read_timestamp_seconds When a follower (a broker's "
      "plugin) last read the revocation feed, Unix time; 0: not since start.\n"
      "# TYPE anchor_revocation_feed_last_read_timestamp_seconds gauge\n"
      "anchor_revocation_feed_last_read_timestamp_seconds " +
      std::to_string(feed_last_read.load()) + "\n";
  for (const ScrapeSource& source : sources_) {
    out += source();
  }
  return out;
}

}  // namespace anchor::api
