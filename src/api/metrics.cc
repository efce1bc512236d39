// SPDX-License-Identifier: Apache-2.0
// File: metrics.cc: histogram updates and the text exposition format.
#include "api/metrics.h"

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

}  // namespace

void Metrics::ObserveEnrollment(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  size_t i = 0;
  while (i < kLatencyBounds.size() && seconds > kLatencyBounds[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);  // non-cumulative here; summed in Render
  latency_sum_ns_.fetch_add(static_cast<uint64_t>(elapsed.count()), std::memory_order_relaxed);
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
  return out;
}

}  // namespace anchor::api
