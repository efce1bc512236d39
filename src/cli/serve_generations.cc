// SPDX-License-Identifier: Apache-2.0
// File: serve_generations.cc: OCSP issuers and client CA files of every generation.
#include "cli/serve_generations.h"

#include "home/intermediates.h"

namespace anchor::cli {

std::vector<ocsp::Issuer> OcspIssuers(const ca::Authority& authority,
                                      const std::optional<home::OcspSigner>& delegated) {
  std::vector<ocsp::Issuer> out;
  for (const ca::Generation& g : authority.generations()) {
    const bool delegate = delegated && delegated->issuer_fingerprint == g.fingerprint;
    out.push_back(ocsp::Issuer{
        g.cert,
        delegate ? ocsp::Signer{delegated->cert, delegated->key} : ocsp::Signer{g.cert, *g.key},
        g.fingerprint});
  }
  return out;
}

std::vector<std::string> RetiredIntermediateFiles(const home::CaHome& home) {
  std::vector<std::string> out;
  for (const ca::Generation& g : home.retired()) {
    out.push_back(home::FilesOf(home.paths().home, g.number).cert);
  }
  return out;
}

std::vector<api::WatchedCertificate> WatchedCertificates(const home::CaHome& home) {
  const home::CaPaths& paths = home.paths();
  // The root and the intermediates never change: watched as they were read (the home's
  // intermediate.crt is a copy that a rotation refreshes before serve takes it up).
  std::vector<api::WatchedCertificate> out = {{"root", "", false, home.root()},
                                              {"intermediate", "", false, home.intermediate()},
                                              {"server", paths.server_crt},
                                              {"ocsp", paths.ocsp_crt}};
  // Retired intermediates still sign OCSP answers and their CRLs: their expiry is watched too,
  // under a role of their own, as they are expected to run out.
  for (const ca::Generation& g : home.retired()) {
    out.push_back({"retired_intermediate", "", /*until_expiry=*/true, g.cert});
  }
  return out;
}

}  // namespace anchor::cli
