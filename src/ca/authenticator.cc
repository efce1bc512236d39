// SPDX-License-Identifier: Apache-2.0
// File: authenticator.cc: tokens, renewal, factory and admin certificates -> grants.
#include "ca/authenticator.h"

#include "ca/enrollment_token.h"
#include "core/text.h"
#include "crypto/chain_verifier.h"
#include "crypto/crl.h"

namespace anchor::ca {
namespace {

// Holder names a certificate in errors and logs.
std::string Holder(const crypto::Certificate& cert) {
  return cert.Subject() + " (serial " + cert.SerialHex() + ")";
}

}  // namespace

Result<Grant> Authenticator::Authenticate(const Presented& credential) const {
  return std::visit(
      [this](const auto& c) -> Result<Grant> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, TokenCredential>) {
          return ForToken(c);
        } else if constexpr (std::is_same_v<T, RenewalCredential>) {
          return ForRenewal(c);
        } else if constexpr (std::is_same_v<T, FactoryCredential>) {
          return ForFactory(c);
        } else {
          return ForAdmin(c);
        }
      },
      credential);
}

Result<Grant> Authenticator::ForToken(const TokenCredential& credential) const {
  ANCHOR_ASSIGN_OR_RETURN(store::TokenRecord token, LookUpToken(store_, credential.secret));
  // A used token still identifies the key it paid for: the grant is that certificate again
  // (expired or not: a retry may come late). An unused one must be unexpired.
  const bool redeemed = token.used_at != 0;
  if (redeemed ? token.used_by.empty() : token.expires_at <= UnixSeconds(clock_.Now())) {
    return TokenRefusal();
  }
  ANCHOR_ASSIGN_OR_RETURN(const Profile profile, ParseProfile(token.profile));
  ANCHOR_TRY(MayObtain(Credential::kToken, profile));
  Grant grant(Credential::kToken, "token " + token.hash.substr(0, 12), profile);
  grant.redeemed_ = redeemed;
  grant.token_ = std::move(token);
  return grant;
}

Result<Grant> Authenticator::ForRenewal(const RenewalCredential& credential) const {
  const std::chrono::seconds grace(config_.server.renewal_grace_seconds);
  ANCHOR_ASSIGN_OR_RETURN(ClientIdentity who, IdentifyClient(credential.certificate, grace));
  ANCHOR_TRY(MayObtain(Credential::kRenewal, who.profile));
  Grant grant(Credential::kRenewal, Holder(credential.certificate), who.profile);
  grant.renewing_ = credential.certificate;
  return grant;
}

Result<Grant> Authenticator::ForFactory(const FactoryCredential& credential) const {
  if (factory_.roots.empty() || credential.chain.empty()) {
    return Error(Code::kUnauthenticated,
                 "factory certificates are not accepted here ([server] bootstrap_ca is unset); "
                 "enroll with a token");
  }
  const crypto::Certificate& leaf = credential.chain.front();
  crypto::VerifyOptions verify;
  verify.trusted = factory_.roots;
  verify.untrusted.assign(credential.chain.begin() + 1, credential.chain.end());
  verify.purpose = crypto::Purpose::kClient;
  verify.at = clock_.Now();
  if (auto ok = crypto::VerifyChain(leaf, verify); !ok) {
    return Error(
        Code::kUnauthenticated,
        "the client certificate is not a valid factory certificate: " + ok.error().message());
  }
  // The factory certificate names the device; the device may ask for that name only. One name:
  // with two CNs, which one names the device would be a guess.
  if (leaf.CommonNameCount() != 1) {
    return Error(Code::kUnauthenticated, "the factory certificate names " +
                                             std::to_string(leaf.CommonNameCount()) +
                                             " common names; it must name the device by one");
  }
  ANCHOR_TRY(MayObtain(Credential::kFactory, factory_.profile));
  ANCHOR_TRY(NotRevokedBefore(leaf.CommonName()));
  Grant grant(Credential::kFactory, Holder(leaf), factory_.profile);
  grant.common_name_ = leaf.CommonName();
  return grant;
}

Status Authenticator::NotRevokedBefore(const std::string& common_name) const {
  store::ListFilter latest;
  latest.common_name = common_name;
  latest.profile = std::string(ProfileName(factory_.profile));
  latest.limit = 1;
  ANCHOR_ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> found, store_.List(latest));
  if (!found.empty() && found.front().revoked) {
    return Error(Code::kPermissionDenied,
                 "the latest certificate of '" + common_name + "' (" + found.front().serial +
                     ") is revoked; its factory certificate cannot admit it again: the operator "
                     "re-admits it with a token (anchor token create --cn " +
                     common_name + ")");
  }
  return OkStatus();
}

Result<Grant> Authenticator::ForAdmin(const AdminCredential& credential) const {
  auto who = IdentifyClient(credential.certificate);
  if (!who) {
    // A certificate refused is 403 on the admin API; a store that cannot answer now keeps its
    // own code (kUnavailable: 503, to be retried), not a refusal of the admin.
    if (who.error().code() != Code::kUnauthenticated) {
      return who.error();
    }
    return Error(Code::kPermissionDenied, who.error().message());
  }
  if (who->profile != Profile::kAdmin) {
    return Error(Code::kPermissionDenied, "'" + who->record.subject + "' is a " +
                                              who->record.profile +
                                              " certificate, not an admin certificate");
  }
  return Grant(Credential::kAdmin, Holder(credential.certificate), Profile::kAdmin);
}

Result<ClientIdentity> Authenticator::IdentifyClient(const crypto::Certificate& cert,
                                                     std::chrono::seconds grace) const {
  const auto refuse = [&cert](const std::string& why) {
    return Error(Code::kUnauthenticated,
                 "client certificate " + cert.SerialHex() + " (" + cert.Subject() + ") " + why);
  };
  // The store holds only what this CA signed: a record with the same serial and the same DER
  // fingerprint is proof enough, with no signature to check on every request.
  auto record = store_.FindBySerial(cert.SerialHex());
  if (!record) {
    if (record.error().code() == Code::kNotFound) {
      return refuse("was not issued by this CA");
    }
    return record.error();
  }
  if (record->fingerprint != cert.Sha256Fingerprint()) {
    return refuse("does not match the certificate recorded under its serial");
  }
  if (record->revoked) {
    return refuse("is revoked (" + std::string(crypto::ReasonName(record->revocation_reason)) +
                  "); enroll again with a token");
  }
  const Clock::time_point now = clock_.Now();
  if (now < cert.NotBefore()) {
    return refuse("is not valid yet");
  }
  if (now >= cert.NotAfter() + grace) {
    return refuse("expired on " + Iso8601(cert.NotAfter()) +
                  (grace.count() > 0 ? ", beyond the renewal grace period" : "") +
                  "; enroll again with a token");
  }
  auto profile = ParseProfile(record->profile);
  if (!profile) {
    return Error(Code::kPermissionDenied, "client certificate " + cert.SerialHex() + " is a " +
                                              record->profile +
                                              " certificate, which is no client credential");
  }
  return ClientIdentity{std::move(record).value(), *profile};
}

}  // namespace anchor::ca
