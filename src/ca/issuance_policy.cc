// SPDX-License-Identifier: Apache-2.0
// File: issuance_policy.cc: the policy steps of issuance.
#include "ca/issuance_policy.h"

#include <algorithm>

#include "ca/name_rules.h"
#include "core/text.h"
#include "names/common_name.h"
#include "names/dns_name.h"
#include "names/ip_address.h"

namespace anchor::ca {
namespace {

using crypto::GeneralName;
using Kind = GeneralName::Kind;

std::string KeyTypeList(const std::vector<crypto::KeyType>& types) {
  std::vector<std::string> names;
  for (const auto t : types) {
    names.emplace_back(crypto::KeyTypeName(t));
  }
  return Join(names, ", ");
}

Error Refuse(Profile profile, const std::string& what) {
  return Error(Code::kPermissionDenied,
               "policy of profile '" + std::string(ProfileName(profile)) + "' refuses " + what);
}

bool KindAllowed(Kind kind, Profile profile) {
  switch (kind) {
    case Kind::kDns:
    case Kind::kIp:
      return true;
    case Kind::kUri:
      return profile != Profile::kServer;
    case Kind::kEmail:
      return profile == Profile::kClient;
  }
  return false;
}

void AddUnique(std::vector<GeneralName>& names, GeneralName name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    names.push_back(std::move(name));
  }
}

// NameFromCommonName turns a CN into a DNS or IP SAN when it is one.
std::optional<GeneralName> NameFromCommonName(const std::string& cn) {
  if (auto ip = names::NormalizeIpAddress(cn)) {
    return GeneralName{Kind::kIp, *ip};
  }
  if (auto dns = names::NormalizeDnsName(cn, names::Wildcard::kAllow)) {
    return GeneralName{Kind::kDns, *dns};
  }
  return std::nullopt;
}

// NormalizeNames writes every requested SAN in its normal form (names/), warning when that
// changes what was asked for, and drops exact repeats.
Result<std::vector<GeneralName>> NormalizeNames(std::vector<GeneralName> requested,
                                                std::vector<std::string>& warnings) {
  std::vector<GeneralName> out;
  for (const GeneralName& n : requested) {
    ANCHOR_ASSIGN_OR_RETURN(GeneralName normal, crypto::NormalizeGeneralName(n));
    if (normal != n) {
      warnings.push_back("wrote the requested name " + Printable(n.ToString()) + " as " +
                         normal.ToString());
    }
    if (std::find(out.begin(), out.end(), normal) != out.end()) {
      warnings.push_back("the request names " + normal.ToString() + " more than once; it is " +
                         "issued once");
      continue;
    }
    out.push_back(std::move(normal));
  }
  return out;
}

}  // namespace

Result<NameRequest> IssuancePolicy::NamesFromCsr(const crypto::Csr& csr,
                                                 std::vector<std::string>& warnings) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::RequestedContent content, csr.ReadContent());
  if (!content.unknown_san_kinds.empty()) {
    return Error(Code::kPermissionDenied, "the request carries SAN kinds anchor does not issue (" +
                                              Join(content.unknown_san_kinds, ", ") +
                                              "); use dns:, ip:, uri: or email: names");
  }
  for (const std::string& ext : content.other_extensions) {
    warnings.push_back("ignored the requested extension '" + ext +
                       "': extensions come from the profile, never from the request");
  }
  if (!content.other_subject_fields.empty()) {
    warnings.push_back("ignored the subject attributes " +
                       Join(content.other_subject_fields, ", ") +
                       ": only the common name is issued");
  }
  if (content.requests_ca) {
    warnings.push_back("the request asked for CA:TRUE; a leaf certificate (CA:FALSE) was issued");
  }
  return NameRequest{std::move(content.common_name), std::move(content.sans)};
}

Result<Decision> IssuancePolicy::Decide(const crypto::PublicKey& key, NameRequest names,
                                        Profile profile, std::optional<int> days,
                                        const crypto::Certificate& issuer,
                                        Clock::time_point now) const {
  Decision d;
  ANCHOR_TRY(CheckKeyType(key, profile));
  ANCHOR_ASSIGN_OR_RETURN(names, ShapeNames(std::move(names), profile, d.warnings));
  ANCHOR_TRY(CheckNames(names, profile));
  d.tmpl.common_name = names.common_name;
  d.tmpl.sans = std::move(names.sans);
  ANCHOR_TRY(SetValidity(d.tmpl, days, profile, issuer, now, d.warnings));
  EnforceExtensions(d.tmpl, key, profile);
  return d;
}

Status IssuancePolicy::Admits(const NameRequest& names, Profile profile) const {
  std::vector<std::string> ignored;
  ANCHOR_ASSIGN_OR_RETURN(NameRequest shaped, ShapeNames(names, profile, ignored));
  return CheckNames(shaped, profile);
}

Status IssuancePolicy::CheckKeyType(const crypto::PublicKey& key, Profile profile) const {
  const auto& allowed = config_.PolicyFor(profile).key_types;
  const auto type = key.Type();
  if (!type || std::find(allowed.begin(), allowed.end(), *type) == allowed.end()) {
    return Refuse(profile, "key type " + key.Description() + "; allowed: " + KeyTypeList(allowed));
  }
  return OkStatus();
}

Status IssuancePolicy::CheckRoleUris(const std::vector<GeneralName>& sans, Profile profile,
                                     const std::string& common_name) const {
  // A role URI tells the broker (and anyone else) what kind of client this is; it is derived by
  // the profile that owns it from the CN, never taken from a request, whatever the profile.
  const std::string own = config_.RoleUri(profile, common_name);
  for (const GeneralName& n : sans) {
    if (n.kind != Kind::kUri || n.value == own) {
      continue;
    }
    if (const auto role = config_.RoleOfUri(n.value)) {
      return Refuse(profile, "the URI '" + n.value + "': it is a " +
                                 std::string(ProfileName(*role)) + " role URI, which only the " +
                                 std::string(ProfileName(*role)) +
                                 " profile gives, and only for its own CN" +
                                 (own.empty() ? "" : " (this one's is " + own + ")"));
    }
  }
  return OkStatus();
}

Result<NameRequest> IssuancePolicy::ShapeNames(NameRequest names, Profile profile,
                                               std::vector<std::string>& warnings) const {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<GeneralName> sans,
                          NormalizeNames(std::move(names.sans), warnings));
  ANCHOR_TRY(CheckRoleUris(sans, profile, names.common_name));
  if (profile == Profile::kDevice || profile == Profile::kService) {
    // The id is the CN; the URI SAN that names the role is derived from it, so the two cannot
    // disagree, and a broker can trust "urn:anchor:device:X" to mean the device whose CN is X.
    const std::string role(ProfileName(profile));
    if (!IsValidDeviceId(names.common_name)) {
      return Error(Code::kInvalidArgument,
                   role + " id (CN) '" + Printable(names.common_name) +
                       "' is not valid; use 1-64 characters of letters, digits, '.', '_' or '-'");
    }
    AddUnique(sans, GeneralName{Kind::kUri, config_.RoleUri(profile, names.common_name)});
  }
  if (profile == Profile::kServer || profile == Profile::kPeer) {
    // Clients match servers by SAN only (RFC 6125); a server certificate always carries its CN.
    if (auto from_cn = NameFromCommonName(names.common_name)) {
      const bool had = std::find(sans.begin(), sans.end(), *from_cn) != sans.end();
      if (!had) {
        warnings.push_back("added the common name '" + names.common_name +
                           "' as a subject alternative name");
        sans.insert(sans.begin(), *from_cn);
      }
    }
  }
  names.sans = std::move(sans);
  return names;
}

Status IssuancePolicy::CheckNames(const NameRequest& names, Profile profile) const {
  const ProfilePolicy& policy = config_.PolicyFor(profile);
  if (names.common_name.empty() && names.sans.empty()) {
    return Error(Code::kInvalidArgument,
                 "the request names nobody: give a common name (--cn) or a SAN (--san)");
  }
  if (!names.common_name.empty()) {
    ANCHOR_TRY(names::CheckCommonName(names.common_name));
  }
  if (ProfileRequiresSan(profile) && names.sans.empty()) {
    return Error(Code::kInvalidArgument,
                 "a " + std::string(ProfileName(profile)) +
                     " certificate needs a DNS or IP name, and the common name '" +
                     Printable(names.common_name) +
                     "' is neither; add --san dns:NAME or ip:ADDRESS");
  }
  for (const GeneralName& n : names.sans) {
    if (!KindAllowed(n.kind, profile)) {
      return Refuse(profile, "the name " + n.ToString() + " (that kind is not allowed)");
    }
    if (n.kind == Kind::kDns) {
      if (!policy.allow_wildcards && n.value.starts_with("*.")) {
        return Refuse(profile, "the wildcard DNS name '" + n.value +
                                   "' (allow_wildcards is off for this profile in anchor.toml)");
      }
      const bool suffix_ok =
          policy.dns_suffixes.empty() ||
          std::any_of(policy.dns_suffixes.begin(), policy.dns_suffixes.end(),
                      [&](const std::string& s) { return DnsNameHasSuffix(n.value, s); });
      if (!suffix_ok) {
        return Refuse(profile, "DNS name '" + n.value +
                                   "'; allowed suffixes: " + Join(policy.dns_suffixes, ", "));
      }
    }
    if (n.kind == Kind::kIp && !policy.ip_ranges.empty()) {
      const bool in_range =
          std::any_of(policy.ip_ranges.begin(), policy.ip_ranges.end(),
                      [&](const std::string& r) { return IpInRange(n.value, *ParseCidr(r)); });
      if (!in_range) {
        return Refuse(
            profile, "IP address " + n.value + "; allowed ranges: " + Join(policy.ip_ranges, ", "));
      }
    }
  }
  const auto ekus = ProfileExtKeyUsage(profile);
  const bool server_auth =
      std::find(ekus.begin(), ekus.end(), crypto::ExtKeyUsage::kServerAuth) != ekus.end();
  return constraints_.Admits(names, server_auth);
}

Status IssuancePolicy::SetValidity(crypto::CertTemplate& tmpl, std::optional<int> days,
                                   Profile profile, const crypto::Certificate& issuer,
                                   Clock::time_point now,
                                   std::vector<std::string>& warnings) const {
  const ProfilePolicy& policy = config_.PolicyFor(profile);
  const int want = days.value_or(policy.default_days);
  if (want < 1) {
    return Error(Code::kInvalidArgument, "--days must be at least 1");
  }
  if (want > policy.max_days) {
    return Refuse(profile, std::to_string(want) + " days; the maximum is " +
                               std::to_string(policy.max_days) + " (max_days in anchor.toml)");
  }
  // Backdated for clock skew, but never before the issuer itself became valid.
  tmpl.not_before = std::max(now - kClockSkewBackdate, issuer.NotBefore());
  tmpl.not_after = !days && policy.default_minutes > 0
                       ? now + std::chrono::minutes(policy.default_minutes)
                       : now + std::chrono::hours(24) * want;
  if (tmpl.not_after > issuer.NotAfter()) {
    tmpl.not_after = issuer.NotAfter();
    warnings.push_back("validity shortened to the issuing CA's notAfter, " +
                       Iso8601(issuer.NotAfter()));
  }
  return OkStatus();
}

void IssuancePolicy::EnforceExtensions(crypto::CertTemplate& tmpl, const crypto::PublicKey& key,
                                       Profile profile) const {
  tmpl.is_ca = false;
  tmpl.key_usage = crypto::kDigitalSignature;
  if (key.IsRsa()) {
    tmpl.key_usage |= crypto::kKeyEncipherment;  // TLS 1.2 RSA key transport
  }
  tmpl.ext_key_usage = ProfileExtKeyUsage(profile);
  tmpl.authority_key_id = true;
  if (!config_.public_url.empty()) {
    tmpl.crl_urls = {config_.CrlUrl(config_.issuing_generation)};
    tmpl.ocsp_urls = {config_.OcspUrl()};
    tmpl.ca_issuer_urls = {config_.CaIssuersUrl(config_.issuing_generation)};
  }
}

}  // namespace anchor::ca
