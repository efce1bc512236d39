// SPDX-License-Identifier: Apache-2.0
// File: authority.cc: issuance pipeline, batches, revocation, CRL.
#include "ca/authority.h"

#include <algorithm>

#include "ca/ca_templates.h"
#include "ca/enrollment_token.h"
#include "ca/issuance_check.h"
#include "ca/serial_number.h"
#include "core/text.h"
#include "crypto/chain_verifier.h"
#include "crypto/digest.h"
#include "crypto/tpm_evidence.h"

namespace anchor::ca {
namespace {

// kSerialRetries bounds retries after a serial collision, which at 127 bits means a broken RNG.
constexpr int kSerialRetries = 3;

}  // namespace

Authority::Authority(CaConfig config, crypto::Certificate root, crypto::Certificate intermediate,
                     crypto::PrivateKey intermediate_key, store::Store& store, const Clock& clock,
                     Rng& rng, std::vector<Generation> retired)
    : config_(std::move(config)),
      policy_(config_, IssuerConstraints::Of({intermediate, root})),
      root_(std::move(root)),
      intermediate_(std::move(intermediate)),
      intermediate_key_(std::move(intermediate_key)),
      store_(store),
      commit_(store),
      clock_(clock),
      rng_(rng) {
  generations_.push_back(Generation{config_.issuing_generation, intermediate_, intermediate_key_,
                                    intermediate_.Sha256Fingerprint()});
  std::sort(retired.begin(), retired.end(),
            [](const Generation& a, const Generation& b) { return a.number > b.number; });
  for (Generation& g : retired) {
    generations_.push_back(std::move(g));
  }
  crypto::VerifyOptions options{{root_}, {}};
  options.at = clock_.Now();
  if (auto verified = crypto::VerifyChain(intermediate_, options); !verified) {
    issuer_chain_ = Error(Code::kPermissionDenied,
                          "refused before issuance: the intermediate does not verify to the "
                          "root: " +
                              verified.error().message());
  }
}

Status Authority::CheckCaValidity(Clock::time_point now) const {
  if (now < intermediate_.NotBefore()) {
    return Error(Code::kFailedPrecondition, "the intermediate CA is not valid until " +
                                                Iso8601(intermediate_.NotBefore()) +
                                                "; check this machine's clock");
  }
  if (now >= intermediate_.NotAfter()) {
    return Error(Code::kFailedPrecondition,
                 "the intermediate CA expired on " + Iso8601(intermediate_.NotAfter()) +
                     "; no certificate can be issued until the CA is renewed");
  }
  return OkStatus();
}

Result<NameRequest> Authority::AskedNames(const IssueRequest& request,
                                          std::vector<std::string>& warnings) const {
  const auto* op = std::get_if<OperatorRequest>(&request.asker);
  if (op && op->names) {
    return *op->names;  // the operator's --cn/--san for a request anchor made itself
  }
  ANCHOR_ASSIGN_OR_RETURN(NameRequest asked, IssuancePolicy::NamesFromCsr(request.csr, warnings));
  if (op) {
    return asked;
  }
  return NamesUnder(std::get<Grant>(request.asker), asked, config_);
}

Result<Authority::Prepared> Authority::Prepare(const IssueRequest& request,
                                               Clock::time_point now) const {
  // Proof of possession (after the key's parameters) comes before anything is read from the
  // request.
  ANCHOR_TRY(request.csr.VerifySignature());
  std::vector<std::string> warnings;
  ANCHOR_ASSIGN_OR_RETURN(NameRequest names, AskedNames(request, warnings));
  Profile profile;
  std::optional<int> days;
  std::string token_hash;
  std::string renews;
  if (const auto* op = std::get_if<OperatorRequest>(&request.asker)) {
    profile = op->profile;
    days = op->days;
  } else {
    const Grant& grant = std::get<Grant>(request.asker);
    profile = grant.profile();
    token_hash = grant.token() ? grant.token()->hash : "";
    renews = grant.renewing() ? grant.renewing()->SerialHex() : "";
  }
  if (!request.key_attested && config_.PolicyFor(profile).require_attestation) {
    return Error(Code::kPermissionDenied,
                 "profile " + std::string(ProfileName(profile)) +
                     " requires a key shown to be in a TPM: enroll with `anchor-agent run --tpm "
                     "TCTI --attest` (or `anchor enroll --tpm TCTI --attest`)");
  }
  const crypto::PublicKey key = request.csr.GetPublicKey();
  ANCHOR_ASSIGN_OR_RETURN(Decision decision,
                          policy_.Decide(key, std::move(names), profile, days, intermediate_, now));
  if (request.key_attested) {
    decision.tmpl.policy_oids.push_back(crypto::kTpmAttestedKeyPolicy);
  }
  decision.warnings.insert(decision.warnings.begin(), warnings.begin(), warnings.end());
  return Prepared{std::move(decision), key, profile, std::move(token_hash), std::move(renews)};
}

Status Authority::Verify(const crypto::Certificate& cert, std::optional<Profile> profile) const {
  ANCHOR_TRY(issuer_chain_);
  return Verdict(CheckBeforeIssue(
      cert, IssuanceCheck{
                {intermediate_, root_}, profile, clock_.Now(), /*issuer_chain_verified=*/true}));
}

store::CertificateRecord Authority::ToRecord(const crypto::Certificate& cert,
                                             std::string_view profile,
                                             const std::string& token_hash,
                                             const std::string& renews) const {
  store::CertificateRecord r;
  r.serial = cert.SerialHex();
  r.issuer = cert.Issuer();
  r.issuer_fingerprint = generations_.front().fingerprint;
  r.subject = cert.Subject();
  r.common_name = cert.CommonName();
  for (const auto& san : cert.SubjectAltNames()) {
    r.sans.push_back(san.ToString());
  }
  r.profile = std::string(profile);
  r.not_before = UnixSeconds(cert.NotBefore());
  r.not_after = UnixSeconds(cert.NotAfter());
  r.der = cert.ToDer();
  r.fingerprint = HexEncode(crypto::Sha256(r.der));  // from the DER we already have
  r.token_hash = token_hash;
  r.renews = renews;
  return r;
}

Result<Authority::Signed> Authority::Sign(const Prepared& p) const {
  crypto::CertTemplate tmpl = p.decision.tmpl;
  ANCHOR_ASSIGN_OR_RETURN(tmpl.serial, NewSerial(rng_));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                          crypto::SignCertificate(tmpl, p.key, &intermediate_, intermediate_key_));
  ANCHOR_TRY(Verify(cert, p.profile));
  store::CertificateRecord record = ToRecord(cert, ProfileName(p.profile), p.token_hash, p.renews);
  return Signed{Issued{std::move(cert), p.decision.warnings}, std::move(record)};
}

Result<std::vector<Issued>> Authority::SignAndRecord(std::span<const Prepared> prepared) {
  for (int attempt = 0;; ++attempt) {
    std::vector<Issued> issued;
    std::vector<store::CertificateRecord> records;
    issued.reserve(prepared.size());
    records.reserve(prepared.size());
    for (const Prepared& p : prepared) {
      ANCHOR_ASSIGN_OR_RETURN(Signed signed_one, Sign(p));
      records.push_back(std::move(signed_one.record));
      issued.push_back(std::move(signed_one.issued));
    }
    Status st = store_.InsertCertificates(records, UnixSeconds(clock_.Now()));
    if (st) {
      return issued;
    }
    if (st.error().code() != Code::kAlreadyExists || attempt + 1 >= kSerialRetries) {
      return st.error();
    }
  }
}

Result<Issued> Authority::SignAndCommit(const Prepared& prepared) {
  for (int attempt = 0;; ++attempt) {
    ANCHOR_ASSIGN_OR_RETURN(Signed signed_one, Sign(prepared));
    // Shared with the enrollments running now: one transaction, one fsync for all of them.
    Status st = commit_.Insert(signed_one.record, UnixSeconds(clock_.Now()));
    if (st) {
      return std::move(signed_one.issued);
    }
    if (st.error().code() != Code::kAlreadyExists || attempt + 1 >= kSerialRetries) {
      return st.error();
    }
  }
}

Result<Issued> Authority::Issue(const IssueRequest& request) {
  const Clock::time_point now = clock_.Now();
  ANCHOR_TRY(CheckCaValidity(now));
  auto prepared = Prepare(request, now);
  Result<Issued> issued = prepared ? SignAndCommit(*prepared) : Result<Issued>(prepared.error());
  const auto* grant = std::get_if<Grant>(&request.asker);
  if (!issued && issued.error().code() == Code::kUnauthenticated && grant && grant->token()) {
    // A device whose certificate was committed but whose answer was lost (a dropped connection,
    // a server killed after the commit) retries with the same token: it gets that certificate.
    if (auto earlier = IssuedBefore(*grant->token(), request.csr)) {
      return *std::move(earlier);
    }
    return TokenRefusal();  // one answer for every token that cannot be redeemed
  }
  return issued;
}

namespace {

// AsksForNoMoreThan is true when `csr` asks for `cert`'s names or fewer (an empty CN stands for
// `cert`'s): a retry must not get, by way of the old certificate, names a first request would
// be refused.
bool AsksForNoMoreThan(const crypto::Csr& csr, const crypto::Certificate& cert) {
  std::vector<std::string> warnings;
  auto asked = IssuancePolicy::NamesFromCsr(csr, warnings);
  if (!asked) {
    return false;
  }
  if (asked->common_name.empty()) {
    asked->common_name = cert.CommonName();
  }
  return AsksOnlyNamesOf(cert, *asked).has_value();
}

}  // namespace

std::optional<Issued> Authority::IssuedBefore(const store::TokenRecord& granted,
                                              const crypto::Csr& csr) const {
  // Only the key the token already paid for gets its certificate again: proof of possession of
  // that key is the whole credential here, as it was the first time. Prepare checked it before
  // anything that can answer kUnauthenticated (a bad signature is kInvalidArgument). The token
  // is read again: a concurrent request may have consumed it since the grant was made.
  auto token = store_.FindToken(granted.hash);
  if (!token || token->used_at == 0 || token->used_by.empty()) {
    return std::nullopt;
  }
  auto record = store_.FindBySerial(token->used_by);
  if (!record || record->revoked || record->token_hash != token->hash) {
    return std::nullopt;
  }
  auto cert = crypto::Certificate::FromDer(record->der);
  if (!cert || !cert->GetPublicKey().Equals(csr.GetPublicKey()) ||
      clock_.Now() >= cert->NotAfter() || !AsksForNoMoreThan(csr, *cert)) {
    return std::nullopt;  // an expired one would be useless: the device must enroll again
  }
  return Issued{std::move(cert).value(),
                {"this token was redeemed before by the same key; the certificate issued then (" +
                 record->serial + ") is returned"}};
}

Status Authority::IssueBatch(std::span<const IssueRequest> requests, size_t group_size,
                             const GroupCallback& on_group, const RefusalCallback& on_refused) {
  const Clock::time_point now = clock_.Now();
  ANCHOR_TRY(CheckCaValidity(now));
  std::vector<Prepared> prepared;
  std::vector<Error> refused;
  prepared.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto p = Prepare(requests[i], now);
    if (!p) {
      refused.push_back(p.error().Prefixed(
          requests[i].label.empty() ? "request #" + std::to_string(i + 1) : requests[i].label));
      continue;
    }
    prepared.push_back(std::move(p).value());
  }
  if (refused.size() == 1) {
    const Error& e = refused.front();
    return requests.size() == 1 ? e
                                : Error(e.code(), e.message() + "; nothing was signed", e.detail());
  }
  if (!refused.empty()) {
    for (const Error& e : refused) {
      if (on_refused) {
        on_refused(e);
      }
    }
    return Error(refused.front().code(), std::to_string(refused.size()) + " of " +
                                             std::to_string(requests.size()) +
                                             " requests are refused; nothing was signed");
  }
  group_size = std::max<size_t>(group_size, 1);
  for (size_t first = 0; first < prepared.size(); first += group_size) {
    const size_t n = std::min(group_size, prepared.size() - first);
    ANCHOR_ASSIGN_OR_RETURN(std::vector<Issued> issued,
                            SignAndRecord(std::span<const Prepared>(prepared).subspan(first, n)));
    ANCHOR_TRY(on_group(issued, first));
  }
  return OkStatus();
}

Result<crypto::Certificate> Authority::IssueOcspSigner(const crypto::PublicKey& key, int days) {
  if (days < 1 || days > 30) {
    return Error(Code::kInvalidArgument, "an OCSP signer is valid for 1 to 30 days");
  }
  const Clock::time_point now = clock_.Now();
  ANCHOR_TRY(CheckCaValidity(now));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> serial, NewSerial(rng_));
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::Certificate cert,
      crypto::SignCertificate(
          OcspSignerTemplate(config_.name, std::move(serial), now, days, intermediate_.NotAfter()),
          key, &intermediate_, intermediate_key_));
  ANCHOR_TRY(Verify(cert, std::nullopt));
  const store::CertificateRecord record = ToRecord(cert, "ocsp-signer", "");
  ANCHOR_TRY(commit_.Insert(record, UnixSeconds(now)));
  return cert;
}

Result<store::RevocationEvent> Authority::Revoke(const std::string& serial, int reason) {
  ANCHOR_ASSIGN_OR_RETURN(const std::string normal, NormalizeSerial(serial));
  return store_.Revoke(normal, UnixSeconds(clock_.Now()), reason,
                       "reason=" + std::string(crypto::ReasonName(reason)));
}

Result<crypto::Crl> Authority::BuildCrl(const Generation& g) {
  ANCHOR_ASSIGN_OR_RETURN(const store::StoredCrl stored, PublishCrl(g, std::nullopt));
  return crypto::Crl::FromDer(stored.der);
}

Result<store::StoredCrl> Authority::CurrentCrl(const Generation& g, int64_t latest) {
  ANCHOR_ASSIGN_OR_RETURN(std::optional<store::StoredCrl> newest, store_.NewestCrl(g.fingerprint));
  if (newest && newest->Serves(latest, UnixSeconds(clock_.Now()))) {
    ANCHOR_TRY(CheckStoredCrl(*newest, g));
    return *std::move(newest);
  }
  return PublishCrl(g, latest);
}

Result<store::StoredCrl> Authority::PublishCrl(const Generation& g,
                                               std::optional<int64_t> reuse_after) {
  if (!g.key) {
    return Error(Code::kInternal, "no key for intermediate generation " + std::to_string(g.number));
  }
  int64_t signed_here = 0;
  const store::CrlRequest request{g.fingerprint, UnixSeconds(clock_.Now()), reuse_after};
  ANCHOR_ASSIGN_OR_RETURN(
      store::StoredCrl stored,
      store_.PublishCrl(request, [&](const store::CrlDraft& draft) -> Result<store::SignedCrl> {
        ANCHOR_ASSIGN_OR_RETURN(store::SignedCrl signed_crl, SignCrl(g, draft));
        signed_here = draft.number;
        return signed_crl;
      }));
  if (stored.number != signed_here) {
    ANCHOR_TRY(CheckStoredCrl(stored, g));  // found under the lease: another server's
  }
  return stored;
}

Result<store::SignedCrl> Authority::SignCrl(const Generation& g,
                                            const store::CrlDraft& draft) const {
  const Clock::time_point now = clock_.Now();
  crypto::CrlTemplate tmpl;
  //= https://www.rfc-editor.org/rfc/rfc5280#section-5.2.3
  //# The CRL number is a non-critical CRL extension that conveys a monotonically increasing
  //# sequence number for a given CRL scope and CRL issuer.
  // One sequence serves every generation (and the root before it kept its own): each issuer's
  // numbers still only increase. The store takes it in the transaction that records the CRL,
  // so a number is used by a stored CRL or by none.
  tmpl.crl_number = draft.number;
  tmpl.this_update = now;
  tmpl.next_update = std::min(now + std::chrono::hours(24) * config_.crl_days, g.cert.NotAfter());
  tmpl.distribution_point = config_.CrlUrl(g.number);
  tmpl.entries.reserve(draft.revoked.size());
  for (const store::RevokedEntry& r : draft.revoked) {
    crypto::RevokedEntry e;
    ANCHOR_CHECK(HexDecode(r.serial, e.serial));
    e.revoked_at = FromUnixSeconds(r.revoked_at);
    e.reason = r.reason;
    tmpl.entries.push_back(std::move(e));
  }
  ANCHOR_ASSIGN_OR_RETURN(const crypto::Crl signed_crl, crypto::SignCrl(tmpl, g.cert, *g.key));
  // Checked as a relying party reads it: parsed back from the DER that will be handed out.
  std::vector<uint8_t> der = signed_crl.ToDer();
  ANCHOR_ASSIGN_OR_RETURN(const crypto::Crl parsed, crypto::Crl::FromDer(der));
  ANCHOR_TRY(CheckCrl(parsed, g, draft.number, now));
  if (parsed.EntryCount() != draft.revoked.size()) {
    return Error(Code::kInternal, "refused before publication: CRL " +
                                      std::to_string(draft.number) + " lists " +
                                      std::to_string(parsed.EntryCount()) + " entries, not " +
                                      std::to_string(draft.revoked.size()));
  }
  return store::SignedCrl{std::move(der), UnixSeconds(parsed.ThisUpdate()),
                          UnixSeconds(parsed.NextUpdate())};
}

Status Authority::CheckCrl(const crypto::Crl& crl, const Generation& g, int64_t number,
                           Clock::time_point at) const {
  const std::string which = "refused before publication: CRL " + std::to_string(number) +
                            " of generation " + std::to_string(g.number) + ": ";
  crypto::VerifyOptions options{{root_}, {}};
  options.at = at;
  if (Status verified = crypto::VerifyCrl(crl, g.cert, options); !verified) {
    return Error(Code::kInternal, which + verified.error().message());
  }
  if (crl.Number() != number) {
    return Error(Code::kInternal, which + "it carries number " + std::to_string(crl.Number()));
  }
  const std::string url = config_.CrlUrl(g.number);
  const std::vector<std::string> idp = crl.IssuingDistributionPoints();
  if (!url.empty() && (idp.size() != 1 || idp.front() != url)) {
    return Error(Code::kInternal, which + "its issuing distribution point is not " + url);
  }
  return OkStatus();
}

Status Authority::CheckStoredCrl(const store::StoredCrl& stored, const Generation& g) const {
  auto crl = crypto::Crl::FromDer(stored.der);
  if (!crl) {
    return Error(Code::kInternal, "stored CRL " + std::to_string(stored.number) +
                                      " of generation " + std::to_string(g.number) +
                                      " does not parse: " + crl.error().message());
  }
  return CheckCrl(*crl, g, stored.number, crl->ThisUpdate());
}

}  // namespace anchor::ca
