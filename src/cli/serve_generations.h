// SPDX-License-Identifier: Apache-2.0
// File: serve_generations.h: what `anchor serve` needs of every intermediate generation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/ca_gauges.h"
#include "home/ca_home.h"
#include "ocsp/responder.h"

namespace anchor::cli {

// OcspIssuers are the responder's issuers: each generation of `authority` signs for itself,
// except the one that certified `delegated` (when given), for which the delegated signer signs.
// They borrow `authority` and `delegated`.
std::vector<ocsp::Issuer> OcspIssuers(const ca::Authority& authority,
                                      const std::optional<home::OcspSigner>& delegated);

// RetiredIntermediateFiles are the certificate files of the retired generations still serving,
// for TLS to verify the client certificates they issued when a client sends only its leaf.
std::vector<std::string> RetiredIntermediateFiles(const home::CaHome& home);

// WatchedCertificates are the CA's own certificates whose expiry /metrics reports, as `home`
// serves them now: the root, the issuing intermediate, the server certificate, the OCSP signer
// and the retired intermediates still serving (until they expire). The files are read at each
// scrape, so a renewal shows; a serving generation keeps its list, so a rotation shows once
// serve has taken it up.
std::vector<api::WatchedCertificate> WatchedCertificates(const home::CaHome& home);

}  // namespace anchor::cli
