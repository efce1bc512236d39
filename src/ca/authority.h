// SPDX-License-Identifier: Apache-2.0
// File: authority.h: the issuing authority: issuance, batches, revocation and CRLs.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ca/config.h"
#include "ca/credential_rules.h"
#include "ca/generation.h"
#include "ca/grant.h"
#include "ca/issuance_policy.h"
#include "ca/profile.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "store/group_commit.h"
#include "store/store.h"

namespace anchor::ca {

// OperatorRequest is the operator asking, on the CA machine with its key (anchor sign, issue,
// init): it chooses the profile, the validity and, with `names`, the names (its --cn/--san,
// which replace the CSR's). Policy still decides.
struct OperatorRequest {
  Profile profile = Profile::kClient;
  std::optional<int> days;
  std::optional<NameRequest> names;
};

// IssueRequest is one certificate to issue from a CSR, and who asks: the operator, or a remote
// caller with the `Grant` its credential earned (`Authenticator::Authenticate`), which fixes the
// profile and bounds the names; its validity is the profile's.
struct IssueRequest {
  crypto::Csr csr;
  std::variant<OperatorRequest, Grant> asker;
  // label names the request in errors (a file name); "request #N" when empty.
  std::string label;
  // key_attested is set by est/ only once ca::KeyAttestation::Verify accepted the TPM evidence
  // of `csr`: the certificate then carries crypto::kTpmAttestedKeyPolicy. A profile with
  // require_attestation issues nothing without it.
  bool key_attested = false;
};

// Issued is a certificate that is recorded in the store, and the warnings of its issuance.
struct Issued {
  crypto::Certificate cert;
  std::vector<std::string> warnings;
};

// Authority issues with the intermediate CA. It borrows `store`, `clock` and `rng`, which must
// outlive it.
//
// Thread safety: every method may be called from several threads at once, by design. After
// construction its own state is immutable (config, policy, certificates, the key, which OpenSSL
// signs with concurrently); what changes lives in the store, whose implementations are
// thread-safe and whose transactions decide every race (a token is consumed by the transaction
// that records its certificate, so two requests racing with one token get one certificate);
// `clock` and `rng` must be thread-safe (SystemClock and CryptoRng are). Concurrent `Issue`
// calls share one transaction and one fsync (`store::GroupCommit`).
class Authority final {
 public:
  // `intermediate` issues, as generation `config.issuing_generation`; `retired` are the older
  // generations that still answer for what they issued (OCSP, their CRL), with their keys.
  Authority(CaConfig config, crypto::Certificate root, crypto::Certificate intermediate,
            crypto::PrivateKey intermediate_key, store::Store& store, const Clock& clock, Rng& rng,
            std::vector<Generation> retired = {});

  // Issue runs the pipeline: key parameters and proof of possession, the names under the
  // asker's grant (`NamesUnder`), policy (names by kind, name constraints), serial, sign,
  // verification of the result as a relying party would (`CheckBeforeIssue`: a certificate that
  // fails it is never recorded nor returned; kPermissionDenied), record. The certificate is
  // returned only after its row (and its token's consumption) is durable. A used token (a grant
  // with `redeemed`, or a token consumed by a concurrent request) is kUnauthenticated, except for a
  // retry: the same token with a request for the same public key (signed by it), asking for no name
  // that certificate lacks, gets the certificate that token paid for, unless it is revoked or
  // expired, with a warning saying so. That makes enrollment idempotent for a device whose answer
  // was lost after the commit.
  Result<Issued> Issue(const IssueRequest& request);

  // IssueBatch checks every request first and issues nothing if one fails. One refusal is the
  // error (naming its label, or its index); with several, each is passed to `on_refused` and
  // the error counts them, so a factory batch learns of every bad file at once. It then signs
  // and records in groups of `group_size`, one transaction per group, and calls `on_group` with
  // each committed group, so files are written only for committed rows.
  using GroupCallback = std::function<Status(std::span<const Issued>, size_t first_index)>;
  using RefusalCallback = std::function<void(const Error&)>;
  Status IssueBatch(std::span<const IssueRequest> requests, size_t group_size,
                    const GroupCallback& on_group, const RefusalCallback& on_refused = nullptr);

  // IssueOcspSigner certifies `key` as this CA's delegated OCSP responder for `days` (at most
  // 30: ocsp-nocheck means it cannot be revoked in practice, so it must be short-lived), checks
  // it as every issuance is checked, and records it (profile "ocsp-signer").
  Result<crypto::Certificate> IssueOcspSigner(const crypto::PublicKey& key, int days);

  // Revoke marks `serial` revoked with `reason` (a CRLReason code) and returns the event.
  Result<store::RevocationEvent> Revoke(const std::string& serial, int reason);

  // RevocationsSince returns revocation events after `cursor` (for the feed and for knowing when
  // a cached CRL is stale).
  Result<std::vector<store::RevocationEvent>> RevocationsSince(int64_t cursor, size_t limit) {
    return store_.RevocationsSince(cursor, limit);
  }
  // revocations is notified when a revocation commits (store::Store::revocations).
  ChangeSignal& revocations() { return store_.revocations(); }
  // LatestRevocation is the seq of the newest revocation event (0: none).
  Result<int64_t> LatestRevocation() const { return store_.LatestRevocation(); }

  // BuildCrl signs, with the issuing intermediate, a CRL of every revoked, unexpired certificate
  // it issued, with a new CRL number, valid for `crl_days` from now (never past the
  // intermediate's notAfter), its issuing distribution point matching those certificates' CDP,
  // and stores it (`store::Store::PublishCrl`: under the CRL lease, the number taken in the
  // transaction that records it), so that every server on the store hands it out. The CRL is
  // checked as a relying party would before it is stored (`CheckCrl`); one that fails is never
  // stored nor returned (kInternal, "refused before publication").
  Result<crypto::Crl> BuildCrl() { return BuildCrl(generations_.front()); }
  // BuildCrl(g) is the same for generation `g` (one of `generations()`), signed with its key:
  // each generation's CRL lists what it issued, at the URL its certificates name.
  Result<crypto::Crl> BuildCrl(const Generation& g);
  // CurrentCrl returns a stored CRL of generation `g` that serves a request made after
  // revocation `latest` was committed (`store::StoredCrl::Serves`: it lists every revocation up
  // to `latest`, and is not past half its validity): the newest stored one when it serves, else
  // a new one, built under the CRL lease unless the holder of the lease stored one that serves
  // while this call waited. A CRL another server stored is checked (`CheckCrl`) before it is
  // returned. Errors are the store's (kUnavailable when the lease cannot be had) or the check's.
  Result<store::StoredCrl> CurrentCrl(const Generation& g, int64_t latest);
  // generations are the intermediates that answer for their certificates: the issuing one
  // first, then the retired ones, newest first. Each holds its key.
  const std::vector<Generation>& generations() const { return generations_; }

  const crypto::Certificate& root() const { return root_; }
  const crypto::Certificate& intermediate() const { return intermediate_; }
  const CaConfig& config() const { return config_; }
  const Clock& clock() const { return clock_; }
  // key is the intermediate's private key, for the responders that sign in its name (OCSP).
  const crypto::PrivateKey& key() const { return intermediate_key_; }
  // policy is the issuance policy, with the issuing CAs' name constraints (for tokens).
  const IssuancePolicy& policy() const { return policy_; }

 private:
  struct Prepared {
    Decision decision;
    crypto::PublicKey key;
    Profile profile;
    std::string token_hash;
    std::string renews;  // the serial of the certificate a renewal grant renews
  };
  Status CheckCaValidity(Clock::time_point now) const;
  Result<Prepared> Prepare(const IssueRequest& request, Clock::time_point now) const;
  // AskedNames are the names a request asks for, under who asks.
  Result<NameRequest> AskedNames(const IssueRequest& request,
                                 std::vector<std::string>& warnings) const;
  // PublishCrl stores and returns the next CRL of `g` through `store::Store::PublishCrl`, or the
  // stored one that serves revocation `reuse_after` when set.
  Result<store::StoredCrl> PublishCrl(const Generation& g, std::optional<int64_t> reuse_after);
  // SignCrl signs the CRL `draft` describes with `g`'s key and checks it (`CheckCrl`).
  Result<store::SignedCrl> SignCrl(const Generation& g, const store::CrlDraft& draft) const;
  // CheckCrl verifies `crl` as a relying party would (crypto::VerifyCrl: `g` up to the root,
  // cRLSign, issuer, signature, times at `at`, critical extensions), and that it carries
  // `number` and `g`'s issuing distribution point: kInternal, "refused before publication",
  // otherwise. No CRL leaves the authority without it.
  Status CheckCrl(const crypto::Crl& crl, const Generation& g, int64_t number,
                  Clock::time_point at) const;
  // CheckStoredCrl parses `stored` and checks it (`CheckCrl` at its own thisUpdate).
  Status CheckStoredCrl(const store::StoredCrl& stored, const Generation& g) const;
  // Verify runs `CheckBeforeIssue` on a freshly signed certificate.
  Status Verify(const crypto::Certificate& cert, std::optional<Profile> profile) const;
  struct Signed {
    Issued issued;
    store::CertificateRecord record;
  };
  // Sign signs one prepared request with a new serial and checks the result (`Verify`).
  Result<Signed> Sign(const Prepared& prepared) const;
  // SignAndRecord signs `prepared` and records them in one transaction (an operator's batch).
  Result<std::vector<Issued>> SignAndRecord(std::span<const Prepared> prepared);
  // SignAndCommit signs one request and records it in the group commit shared with concurrent
  // callers.
  Result<Issued> SignAndCommit(const Prepared& prepared);
  // IssuedBefore is the certificate `token` paid for, when `csr` is a retry of that enrollment
  // (same public key, proof of possession checked, no other name); nullopt otherwise.
  std::optional<Issued> IssuedBefore(const store::TokenRecord& token, const crypto::Csr& csr) const;
  store::CertificateRecord ToRecord(const crypto::Certificate& cert, std::string_view profile,
                                    const std::string& token_hash,
                                    const std::string& renews = "") const;

  CaConfig config_;
  IssuancePolicy policy_;
  crypto::Certificate root_;
  crypto::Certificate intermediate_;
  crypto::PrivateKey intermediate_key_;
  std::vector<Generation> generations_;
  store::Store& store_;
  store::GroupCommit commit_;
  const Clock& clock_;
  Rng& rng_;
  // issuer_chain_ is the verification of the intermediate against the root, done once: every
  // issuance checks its certificate up to the intermediate, and refuses while this failed.
  Status issuer_chain_ = OkStatus();
};

}  // namespace anchor::ca
