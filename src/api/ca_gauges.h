// SPDX-License-Identifier: Apache-2.0
// File: ca_gauges.h: the series /metrics reads at each scrape: the CA's own certificates' time
// to expiry, certificates by status from the store, the revocation sequence, build info.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/metrics.h"
#include "core/clock.h"
#include "crypto/certificate.h"
#include "store/store.h"

namespace anchor::api {

// WatchedCertificate is one of the CA's own certificates whose expiry is a gauge: `role` (root,
// intermediate, server, ocsp, retired_intermediate) labels it. It is either `cert` itself (a
// certificate that never changes: the root, an intermediate generation) or `path`, read at each
// scrape, so that a renewed certificate (server, ocsp) shows without a restart; an absent file
// (no delegated OCSP signer) gives no series. An expired one with `until_expiry` (a retired
// intermediate, expected to run out: an alert on expiry must not fire for it) gives none either.
struct WatchedCertificate {
  std::string role;
  std::string path;
  bool until_expiry = false;
  std::optional<crypto::Certificate> cert;
};

// WatchList lists the certificates to watch; it is called at each scrape, so that a rotation
// shows without a restart.
using WatchList = std::function<std::vector<WatchedCertificate>()>;

// CaGauges returns the scrape source of:
//   anchor_certificate_expiry_seconds{role,subject,serial}  seconds to notAfter (negative once
//                                                           expired), per watched certificate
//   anchor_certificates{status="valid|revoked|expired"}    counted in `store` at `clock`'s now
//   anchor_revocation_sequence                             the newest revocation event's seq
//   anchor_build_info{version}                             1
//   anchor_scrape_errors                                   series that could not be read now
// `store` and `clock` are borrowed and must outlive the source.
Metrics::ScrapeSource CaGauges(store::Store& store, const Clock& clock, WatchList certificates);

// LabelValue escapes `v` for a label value of the text exposition format (\\, \", \n).
std::string LabelValue(std::string_view v);

}  // namespace anchor::api
