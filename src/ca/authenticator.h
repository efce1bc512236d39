// SPDX-License-Identifier: Apache-2.0
// File: authenticator.h: the one place that decides who a remote caller is and what it may ask
// for: a presented credential in, a `Grant` out.
#pragma once

#include <chrono>
#include <memory>
#include <variant>
#include <vector>

#include "ca/config.h"
#include "ca/grant.h"
#include "ca/key_attestation.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "store/store.h"

namespace anchor::ca {

// The credentials a caller presents over the network (RFC 7030 3.3: HTTP-based client
// authentication carries the token, certificate-based client authentication the rest). TLS has
// verified a certificate's chain to the roots the server trusts; the Authenticator checks what
// TLS cannot know.
struct TokenCredential {  // "Authorization: Bearer anc_..." (EST simpleenroll)
  SecretBytes secret;
};
struct RenewalCredential {  // the client certificate being renewed (EST simplereenroll)
  crypto::Certificate certificate;
};
struct FactoryCredential {  // a factory client certificate chain, leaf first (EST simpleenroll)
  std::vector<crypto::Certificate> chain;
};
struct AdminCredential {  // an admin client certificate (the admin API)
  crypto::Certificate certificate;
};
using Presented =
    std::variant<TokenCredential, RenewalCredential, FactoryCredential, AdminCredential>;

// FactoryTrust lets devices holding a factory (manufacturer) certificate enroll without a token:
// a client certificate chaining to one of `roots` may obtain its own CN under `profile`. No
// roots: factory certificates are no credential ([server] bootstrap_ca unset).
// `tpm`, when set ([server] tpm_manufacturer_ca), is the trust in TPM manufacturers that key
// attestation checks endorsement keys against: no credential, but evidence about a key.
struct FactoryTrust {
  std::vector<crypto::Certificate> roots;
  Profile profile = Profile::kDevice;
  std::shared_ptr<const KeyAttestation> tpm;
};

// ClientIdentity is a client certificate recognised as one this CA issued and still honours.
struct ClientIdentity {
  store::CertificateRecord record;
  Profile profile = Profile::kClient;
};

// Authenticator turns credentials into grants. It borrows `config`, `store` and `clock`, which
// must outlive it. It only reads (the store decides every race when the grant is spent), so it
// may be called from several threads at once.
class Authenticator final {
 public:
  Authenticator(const CaConfig& config, store::Store& store, const Clock& clock,
                FactoryTrust factory = {})
      : config_(config), store_(store), clock_(clock), factory_(std::move(factory)) {}

  // Authenticate checks `credential` and says what its holder may obtain. Errors:
  //   token     unknown or expired: kUnauthenticated, one message for every cause. A used token
  //             is a grant with `redeemed` set: only its certificate, to the same key, again.
  //   renewal   a certificate this CA does not honour now (`IdentifyClient` with the renewal
  //             grace of [server] renewal_grace_seconds): kUnauthenticated.
  //   factory   no factory trust configured, a chain that does not verify to it for client
  //             authentication now, or a leaf without exactly one CN: kUnauthenticated; a CN
  //             whose latest certificate of the factory profile is revoked: kPermissionDenied.
  //   admin     a certificate this CA does not honour, or not of profile admin: kPermissionDenied
  //             (TLS accepted it; the API refuses it).
  //   Any credential for a profile it may not obtain (`MayObtain`): kPermissionDenied.
  Result<Grant> Authenticate(const Presented& credential) const;

  // AcceptsFactoryCertificates is true when factory trust is configured.
  bool AcceptsFactoryCertificates() const { return !factory_.roots.empty(); }
  // key_attestation is the TPM attestation trust, or null when none is configured.
  const KeyAttestation* key_attestation() const { return factory_.tpm.get(); }

  // IdentifyClient accepts `cert` (a TLS client certificate) only if the store holds it (same
  // serial, same SHA-256 of the DER: this CA issued it), it is not revoked, and it is valid now
  // or expired less than `grace` ago. Anything else is kUnauthenticated saying what was wrong;
  // a certificate of no client profile (an OCSP signer) is kPermissionDenied.
  Result<ClientIdentity> IdentifyClient(const crypto::Certificate& cert,
                                        std::chrono::seconds grace = std::chrono::seconds(0)) const;

 private:
  Result<Grant> ForToken(const TokenCredential& credential) const;
  Result<Grant> ForRenewal(const RenewalCredential& credential) const;
  Result<Grant> ForFactory(const FactoryCredential& credential) const;
  Result<Grant> ForAdmin(const AdminCredential& credential) const;
  // NotRevokedBefore refuses (kPermissionDenied) factory enrollment of a CN whose latest
  // certificate under the factory profile is revoked: revoking a device must not be undone by
  // its factory certificate, which outlives every certificate anchor gives it.
  Status NotRevokedBefore(const std::string& common_name) const;

  const CaConfig& config_;
  store::Store& store_;
  const Clock& clock_;
  FactoryTrust factory_;
};

}  // namespace anchor::ca
