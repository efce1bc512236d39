// SPDX-License-Identifier: Apache-2.0
// File: issuance_check.cc: verification and lint of a certificate before it is recorded.
#include "ca/issuance_check.h"

#include <algorithm>

#include "ca/lint.h"
#include "core/text.h"
#include "crypto/chain_verifier.h"
#include "crypto/key_parameters.h"

namespace anchor::ca {
namespace {

std::vector<crypto::Purpose> PurposesOf(std::optional<Profile> profile) {
  if (!profile) {
    return {crypto::Purpose::kAny};
  }
  std::vector<crypto::Purpose> out;
  for (const crypto::ExtKeyUsage eku : ProfileExtKeyUsage(*profile)) {
    out.push_back(eku == crypto::ExtKeyUsage::kServerAuth ? crypto::Purpose::kServer
                                                          : crypto::Purpose::kClient);
  }
  return out;
}

void CheckChain(const crypto::Certificate& cert, const IssuanceCheck& check, Report& r) {
  crypto::VerifyOptions options;
  if (check.issuers.empty()) {
    options.trusted = {cert};  // a root is its own anchor
  } else if (check.issuer_chain_verified) {
    options.trusted = {check.issuers.front()};  // X509_V_FLAG_PARTIAL_CHAIN: anchored at it
  } else {
    options.trusted = {check.issuers.back()};
    options.untrusted.assign(check.issuers.begin(), check.issuers.end() - 1);
  }
  options.at = check.now;
  options.strict = true;
  for (const crypto::Purpose purpose : PurposesOf(check.profile)) {
    options.purpose = purpose;
    auto verdict = crypto::ValidatePath(cert, options);
    if (!verdict) {
      r.AddError("chain:verifier-error", "it could not be verified: " + verdict.error().message());
      return;
    }
    if (!verdict->Ok()) {
      r.AddError("chain:" + verdict->failure->id,
                 "it would not verify: " + verdict->failure->Message());
      return;
    }
  }
}

void CheckValidityNesting(const crypto::Certificate& cert, const IssuanceCheck& check, Report& r) {
  if (check.issuers.empty()) {
    return;
  }
  const crypto::Certificate& issuer = check.issuers.front();
  if (cert.NotBefore() < issuer.NotBefore() || cert.NotAfter() > issuer.NotAfter()) {
    r.AddError("validity-outside-issuer",
               "its validity (" + Iso8601(cert.NotBefore()) + " to " + Iso8601(cert.NotAfter()) +
                   ") is not within its issuer's (" + Iso8601(issuer.NotBefore()) + " to " +
                   Iso8601(issuer.NotAfter()) + ")");
  }
}

std::string EkuName(crypto::ExtKeyUsage eku) {
  switch (eku) {
    case crypto::ExtKeyUsage::kServerAuth:
      return "serverAuth";
    case crypto::ExtKeyUsage::kClientAuth:
      return "clientAuth";
    case crypto::ExtKeyUsage::kOcspSigning:
      return "OCSPSigning";
  }
  return "";
}

void CheckProfile(const crypto::Certificate& cert, Profile profile, Report& r) {
  std::vector<std::string> want;
  for (const crypto::ExtKeyUsage eku : ProfileExtKeyUsage(profile)) {
    want.push_back(EkuName(eku));
  }
  std::vector<std::string> got = cert.ExtendedKeyUsageNames();
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  if (got != want) {
    r.AddError("profile-eku", "its extended key usage (" + Join(got, ", ") + ") is not the " +
                                  std::string(ProfileName(profile)) + " profile's (" +
                                  Join(want, ", ") + ")");
  }
  if (cert.IsCa()) {
    r.AddError("profile-ca", "a leaf certificate would carry CA:TRUE");
  }
}

}  // namespace

Report CheckBeforeIssue(const crypto::Certificate& cert, const IssuanceCheck& check) {
  Report r;
  CheckChain(cert, check, r);
  CheckValidityNesting(cert, check, r);
  if (Status key = crypto::CheckKeyParameters(cert.GetPublicKey()); !key) {
    r.AddError("key-parameters", key.error().message());
  }
  if (check.profile) {
    CheckProfile(cert, *check.profile, r);
  }
  const Report lint = Lint(cert, check.now, {}, check.issuers);
  for (const Finding& f : lint.findings()) {
    if (f.severity == Severity::kError && !r.Contains(f.id)) {
      r.AddError(f.id, f.detail);
    }
  }
  return r;
}

Status Verdict(const Report& report) {
  for (const Finding& f : report.findings()) {
    if (f.severity == Severity::kError) {
      return Error(Code::kPermissionDenied, "refused before issuance: " + f.detail);
    }
  }
  return OkStatus();
}

}  // namespace anchor::ca
