// SPDX-License-Identifier: Apache-2.0
// File: ca_gauges.cc: gauges read from files and the store when /metrics is scraped.
#include "api/ca_gauges.h"

#include "core/file_io.h"
#include "core/version.h"
#include "crypto/key_file.h"

namespace anchor::api {
namespace {

void Gauge(std::string& out, const char* name, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
}

}  // namespace

std::string LabelValue(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Metrics::ScrapeSource CaGauges(store::Store& store, const Clock& clock, WatchList certificates) {
  return [&store, &clock, certificates = std::move(certificates)]() {
    std::string out;
    int errors = 0;
    const auto now = clock.Now();
    Gauge(out, "anchor_certificate_expiry_seconds",
          "Seconds until notAfter of the CA's own certificates (negative once expired), read "
          "from their files at scrape time.");
    for (const WatchedCertificate& w : certificates()) {
      if (!w.cert && !FileExists(w.path)) {
        continue;
      }
      auto cert =
          w.cert ? Result<crypto::Certificate>(*w.cert) : crypto::LoadCertificateFile(w.path);
      if (!cert) {
        ++errors;
        continue;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::seconds>(cert->NotAfter() - now).count();
      if (w.until_expiry && left <= 0) {
        continue;
      }
      out += "anchor_certificate_expiry_seconds{role=\"" + LabelValue(w.role) + "\",subject=\"" +
             LabelValue(cert->Subject()) + "\",serial=\"" + LabelValue(cert->SerialHex()) + "\"} " +
             std::to_string(left) + "\n";
    }
    Gauge(out, "anchor_certificates",
          "Certificates in the store by status, counted at scrape time (offline anchor sign and "
          "anchor revoke included).");
    if (auto counts = store.CountByStatus(UnixSeconds(now))) {
      out += "anchor_certificates{status=\"valid\"} " + std::to_string(counts->valid) + "\n" +
             "anchor_certificates{status=\"revoked\"} " + std::to_string(counts->revoked) + "\n" +
             "anchor_certificates{status=\"expired\"} " + std::to_string(counts->expired) + "\n";
    } else {
      ++errors;
    }
    Gauge(out, "anchor_revocation_sequence",
          "The sequence number of the newest revocation event (the feed's head).");
    if (auto seq = store.LatestRevocation()) {
      out += "anchor_revocation_sequence " + std::to_string(*seq) + "\n";
    } else {
      ++errors;
    }
    Gauge(out, "anchor_build_info", "Always 1; the labels say which anchor this is.");
    out += "anchor_build_info{version=\"" + LabelValue(Version()) + "\"} 1\n";
    Gauge(out, "anchor_scrape_errors",
          "Series of this scrape that could not be read (a certificate file, the store).");
    out += "anchor_scrape_errors " + std::to_string(errors) + "\n";
    return out;
  };
}

}  // namespace anchor::api
