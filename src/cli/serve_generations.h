// SPDX-License-Identifier: Apache-2.0
// File: serve_generations.h: what `anchor serve` needs of every intermediate generation.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

}  // namespace anchor::cli
