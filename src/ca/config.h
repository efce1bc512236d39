// SPDX-License-Identifier: Apache-2.0
// File: config.h: anchor.toml, the CA's configuration and per-profile policy.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ca/profile.h"
#include "core/error.h"
#include "crypto/key.h"

namespace anchor::ca {

// ProfilePolicy is what a profile may issue. Empty name lists mean "any well-formed name".
struct ProfilePolicy {
  int default_days = 90;
  int max_days = 397;
  std::vector<std::string> dns_suffixes;  // "example.com" allows example.com and *.example.com
  std::vector<std::string> ip_ranges;     // CIDR, e.g. "10.0.0.0/8", "::1/128"
  std::vector<crypto::KeyType> key_types;
  bool allow_wildcards = false;
  // default_minutes, when > 0, replaces default_days for requests that name no validity:
  // short-lived certificates (renewed by the agent at two thirds of their life), and tests.
  int default_minutes = 0;
  // require_attestation: a certificate of this profile is issued only for a key a TPM was shown
  // to hold (ca/key_attestation.h, through EST with `anchor-agent run --tpm TCTI --attest`); it
  // carries crypto::kTpmAttestedKeyPolicy. Needs [server] tpm_manufacturer_ca.
  bool require_attestation = false;
};

// ServerPolicy is the CA's part of the [server] table: how `anchor serve` enrolls (the renewal
// grace period, factory trust). The table's other keys are the transport's limits
// (server::ServerSettings), which the CA does not read.
struct ServerPolicy {
  int renewal_grace_seconds = 0;  // how long after expiry simplereenroll still renews
  // bootstrap_ca, when set, is a PEM file of factory CA certificates: a client certificate that
  // chains to one may enroll once under `bootstrap_profile` for the CN its certificate carries.
  std::string bootstrap_ca;
  std::string bootstrap_profile = "device";
  // tpm_manufacturer_ca, when set, is a PEM file of TPM manufacturers' CA certificates (roots and
  // the intermediates of their endorsement key certificates): TPM key attestation is then
  // offered (POST /api/v1/attestation/challenge) and checked.
  std::string tpm_manufacturer_ca;
};

// kServerPolicyKeys are the keys of [server] that ServerPolicy reads.
inline constexpr std::string_view kServerPolicyKeys[] = {
    "renewal_grace_seconds", "bootstrap_ca", "bootstrap_profile", "tpm_manufacturer_ca"};

// The CA's tables and keys of anchor.toml (the transport's keys of [server] are
// server::kServerSettingKeys). home::ConfigKeys lists them all; docs/CONFIG.md documents each.
inline constexpr std::string_view kTopLevelTables[] = {"ca",       "device", "service",
                                                       "profiles", "server", "store"};
inline constexpr std::string_view kCaKeys[] = {"name", "public_url", "key_type", "crl_days"};
inline constexpr std::string_view kUriTemplateKeys[] = {"uri_template"};  // [device], [service]
inline constexpr std::string_view kProfileKeys[] = {
    "default_days", "max_days",  "default_minutes", "dns_suffixes",
    "ip_ranges",    "key_types", "allow_wildcards", "require_attestation"};

// CaConfig is the content of anchor.toml.
struct CaConfig {
  std::string name = "anchor";
  std::string public_url;  // e.g. "https://ca.example.com:8443"; empty: no CDP/AIA
  crypto::KeyType key_type = crypto::KeyType::kEcP256;
  std::string device_uri_template = "urn:anchor:device:{id}";
  std::string service_uri_template = "urn:anchor:service:{id}";
  int crl_days = 7;
  std::map<Profile, ProfilePolicy> profiles;
  ServerPolicy server;
  // issuing_generation is the generation of the intermediate that issues now (ca/generation.h),
  // which chooses the CRL and caIssuers URLs of new certificates. Not a key of anchor.toml: the
  // CA home knows it from its intermediates (home::CaHome::Open).
  int issuing_generation = 1;

  // Defaults returns a configuration with sensible policy for every profile.
  static CaConfig Defaults();
  // Parse reads the CA's part of anchor.toml text (ca/config_toml.h: CaConfigFromToml); `origin`
  // names it in errors. anchor.toml itself is read by home/ (home::LoadConfigFile), which also
  // refuses the keys of [server] that no layer reads.
  static Result<CaConfig> Parse(std::string_view toml, const std::string& origin);
  // ToToml renders the configuration with comments, as `anchor init` writes it. `transport_keys`
  // are the lines of the transport's keys (server::ServerSettingsToml), which open the [server]
  // table, before the CA's own keys there; the composition root (home/) passes them.
  std::string ToToml(std::string_view transport_keys = {}) const;

  const ProfilePolicy& PolicyFor(Profile p) const { return profiles.at(p); }
  // RoleUri is the URI SAN that a device or service certificate for `id` carries (its template
  // with {id} replaced); empty for the other profiles.
  std::string RoleUri(Profile p, const std::string& id) const;
  // RoleOfUri returns the profile whose uri_template `uri` fits (letters compared
  // case-insensitively), whatever id it carries: a URI that claims a role.
  std::optional<Profile> RoleOfUri(std::string_view uri) const;
  // CrlUrl, OcspUrl and CaIssuersUrl derive from `public_url`; empty without one. The CRL and
  // caIssuers URLs are those of intermediate generation `generation` (ca::CrlPath,
  // ca::CaIssuersPath); OCSP has one URL for every generation (the responder tells them apart
  // by the request's CertID).
  std::string CrlUrl(int generation) const;
  std::string OcspUrl() const;
  std::string CaIssuersUrl(int generation) const;
};

// ValidatePublicUrl accepts http(s) URLs without spaces, quotes or commas.
Status ValidatePublicUrl(std::string_view url);

}  // namespace anchor::ca
