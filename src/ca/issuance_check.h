// SPDX-License-Identifier: Apache-2.0
// File: issuance_check.h: the last check before a certificate leaves the CA: verify it as a
// relying party would, and lint it (as Let's Encrypt's Boulder lints every precertificate).
#pragma once

#include <optional>
#include <vector>

#include "ca/profile.h"
#include "ca/report.h"
#include "core/clock.h"
#include "crypto/certificate.h"

namespace anchor::ca {

// IssuanceCheck says what a freshly signed certificate must satisfy.
struct IssuanceCheck {
  // issuers: the CA certificates above it, its issuer first and the root last; empty for a
  // self-signed root, which is then checked against itself.
  std::vector<crypto::Certificate> issuers;
  // profile: for a leaf, the profile whose key usages it must carry; nullopt for CA
  // certificates and the delegated OCSP signer.
  std::optional<Profile> profile;
  Clock::time_point now;
  // issuer_chain_verified: the issuer's own chain to the root was verified already (the
  // authority does it once, when it starts): the chain is then verified up to the issuer as the
  // trust anchor, which saves a signature check per certificate. The root's name constraints
  // are still applied (policy and lint read every issuer's).
  bool issuer_chain_verified = false;
};

// CheckBeforeIssue returns every finding about `cert`, which must be parsed from its DER (as
// crypto::SignCertificate returns it), not an object still being built:
// - "chain:<id>": it does not verify to the root with anchor's verifier (OpenSSL,
//   X509_V_FLAG_X509_STRICT: every CA's name constraints, the profile's purpose
//   (serverAuth/clientAuth), validity at `now`); <id> is the verifier's `crypto::ChainFailure`
//   id, e.g. "chain:name-constraints-violation", or "chain:verifier-error" when it could not run;
// - "validity-outside-issuer": its validity does not lie within its issuer's;
// - "key-parameters": its key would be refused in a request (`crypto::CheckKeyParameters`);
// - "profile-eku", "profile-ca": its extended key usage or basicConstraints are not its profile's;
// - every error-level finding of `Lint` (with the issuers: names outside their constraints).
Report CheckBeforeIssue(const crypto::Certificate& cert, const IssuanceCheck& check);

// Verdict is OkStatus for a report without errors, else kPermissionDenied whose one line names
// the first error: "refused before issuance: <what>".
Status Verdict(const Report& report);

}  // namespace anchor::ca
