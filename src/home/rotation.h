// SPDX-License-Identifier: Apache-2.0
// File: rotation.h: rotating the intermediate CA, with the root key at hand or offline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/rng.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "home/ca_home.h"

namespace anchor::home {

// RotateOptions are the choices of `anchor ca rotate`.
struct RotateOptions {
  int days = 1825;                          // the new intermediate's validity, clamped to the root
  std::optional<crypto::KeyType> key_type;  // default: anchor.toml's key_type
  const SecretBytes* passphrase = nullptr;  // encrypts the new key (as `anchor init` does)
  // key_uri, when set, is the PKCS#11 token (RFC 7512 URI) the new key is made in, as
  // `anchor init --key-uri` does: how a CA moves its intermediate into an HSM. The module-path
  // and pin-source it leaves out are those of the issuing key's URI, when that is in a token.
  std::string key_uri;
};

// Rotated says what a rotation did.
struct Rotated {
  int retired = 1;     // the generation that issued until now, kept to answer for its own
  int generation = 2;  // the new issuing generation
  crypto::Certificate cert;
};

// RotateIntermediate makes a new intermediate key and a certificate for it signed by `root_key`
// (the same name constraints as the issuing intermediate, CN "<name> Intermediate CA G<n>",
// `days` clamped to the root), checks it as every issuance is checked (`CheckBeforeIssue`)
// before anything is written, writes it as generation n under intermediates/ and switches it in
// (home/intermediates.h: one rename), and audits "rotate". The old intermediate stays, retired:
// its files are kept and `anchor serve` keeps answering OCSP and its CRL for what it issued.
// A `root_key` that is not the root's is kInvalidArgument. `home` must be opened with its key.
Result<Rotated> RotateIntermediate(CaHome& home, const crypto::PrivateKey& root_key,
                                   const RotateOptions& options, const Clock& clock, Rng& rng);

// The offline root's ceremony, in three steps:
// PrepareRotation (online) makes the next generation's key, written under intermediates/N/ as a
// pending generation, and returns its PKCS#10 request (CN "<name> Intermediate CA G<n>"). One
// pending generation at a time: a second call is kAlreadyExists.
Result<crypto::Csr> PrepareRotation(CaHome& home, const RotateOptions& options);

// IntermediateRequest is what the offline machine signs, and under which choices.
struct IntermediateRequest {
  crypto::Csr csr;
  int days = 1825;
  std::vector<std::string> permitted_dns;  // the issuing intermediate's DNS name constraints
};
// SignIntermediate (on the offline machine) certifies the request's key as an intermediate of
// `root`: proof of possession first; the CN must be "<name> Intermediate CA G<n>" of this root's
// "<name> Root CA" (nothing else is taken from the request but its public key); checked as every
// issuance is before it is returned.
Result<crypto::Certificate> SignIntermediate(const IntermediateRequest& request,
                                             const crypto::Certificate& root,
                                             const crypto::PrivateKey& root_key, const Clock& clock,
                                             Rng& rng);

// InstallRotation (online) takes the certificate the offline root signed for the pending
// generation: it must verify to this CA's root, certify the pending key, carry the issuing
// intermediate's name constraints and be valid now; then it is written and switched in as
// RotateIntermediate does. `passphrase` opens the pending key when it is encrypted.
Result<Rotated> InstallRotation(CaHome& home, const crypto::Certificate& cert,
                                const SecretBytes* passphrase, const Clock& clock);

// PermittedDnsOf lists the DNS name constraints of `intermediate` (for the offline command).
std::vector<std::string> PermittedDnsOf(const crypto::Certificate& intermediate);

}  // namespace anchor::home
