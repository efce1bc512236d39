// SPDX-License-Identifier: Apache-2.0
// File: lint.cc: certificate lint checks.
#include "ca/lint.h"

#include <algorithm>

#include "ca/issuer_constraints.h"
#include "core/text.h"
#include "crypto/key_parameters.h"
#include "names/common_name.h"

namespace anchor::ca {
namespace {

bool Has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void LintStructure(const crypto::Certificate& cert, Report& r) {
  if (cert.Version() != 3) {
    r.AddError("not-v3",
               "a version 1 certificate has no extensions; peers cannot tell a CA from a leaf");
  }
  const auto bc = cert.GetBasicConstraints();
  if (!bc) {
    r.AddError("no-basic-constraints", "basicConstraints is missing");
  } else if (!bc->critical && bc->is_ca) {
    r.AddWarning("basic-constraints-not-critical",
                 "RFC 5280 requires it critical in CA certificates");
  }
  if (cert.HasExtension(crypto::kOidKeyUsage) && !cert.KeyUsageCritical()) {
    r.AddWarning("key-usage-not-critical", "keyUsage should be critical");
  }
  const std::string sig = ToLower(cert.SignatureAlgorithm());
  if (sig.find("sha1") != std::string::npos || sig.find("md5") != std::string::npos) {
    r.AddError("sha1-signature", "signed with " + cert.SignatureAlgorithm());
  }
  const crypto::PublicKey key = cert.GetPublicKey();
  if (Status params = crypto::CheckKeyParameters(key); !params) {
    r.AddError("key-parameters", params.error().message());
  }
  if (key.IsRsa() && key.Bits() < 2048) {
    r.AddError("weak-rsa", "RSA key of " + std::to_string(key.Bits()) + " bits; use 2048 or more");
  }
  if (cert.SubjectKeyIdHex().empty()) {
    r.AddWarning("missing-skid",
                 "no subject key identifier: chain building is slower and ambiguous");
  }
  if (!cert.IsSelfIssued() && cert.AuthorityKeyIdHex().empty()) {
    r.AddWarning("missing-akid", "no authority key identifier: the issuer must be found by name");
  }
  if (cert.SerialBytes().size() < 8) {
    r.AddWarning("short-serial", "serial of " + std::to_string(cert.SerialBytes().size()) +
                                     " bytes; use at least 64 random bits");
  }
}

void LintLeaf(const crypto::Certificate& cert, Clock::time_point /*now*/, const LintLimits& limits,
              Report& r) {
  const auto eku = cert.ExtendedKeyUsageNames();
  const auto sans = cert.SubjectAltNames();
  if (eku.empty()) {
    r.AddWarning("missing-eku", "no extended key usage: the certificate is good for any purpose");
  }
  const bool server = eku.empty() || Has(eku, "serverAuth");
  if (sans.empty()) {
    if (server) {
      r.AddError("no-san",
                 "no subject alternative name: TLS clients (RFC 6125, Go, Chrome) will "
                 "not match a host name against the CN");
    }
    r.AddWarning("cn-only-identity", "the identity is only in the CN '" + cert.CommonName() + "'");
  } else if (server && !cert.CommonName().empty()) {
    const std::string cn = ToLower(cert.CommonName());
    const bool listed = std::any_of(sans.begin(), sans.end(), [&](const crypto::GeneralName& n) {
      return ToLower(n.value) == cn;
    });
    if (!listed) {
      r.AddInfo("cn-not-in-san", "the CN '" + cert.CommonName() + "' is not among the SANs");
    }
  }
  const auto days =
      std::chrono::duration_cast<std::chrono::hours>(cert.NotAfter() - cert.NotBefore()).count() /
      24;
  if (days > limits.max_leaf_days) {
    r.AddWarning("validity-above-policy", std::to_string(days) + " days; the limit is " +
                                              std::to_string(limits.max_leaf_days));
  }
}

// LintNames checks every name by its kind (names/), as anchor's own requests are checked: a name
// that Go, GnuTLS or OpenSSL reads differently, or refuses to parse, is an error.
void LintNames(const crypto::Certificate& cert, const std::vector<crypto::Certificate>& issuers,
               Report& r) {
  const std::string cn = cert.CommonName();
  if (!cn.empty()) {
    if (Status st = names::CheckCommonName(cn); !st) {
      r.AddError("invalid-common-name", st.error().message());
    }
  }
  const std::vector<crypto::GeneralName> sans = cert.SubjectAltNames();
  for (const crypto::GeneralName& san : sans) {
    if (auto normal = crypto::NormalizeGeneralName(san); !normal) {
      r.AddError("invalid-name", normal.error().message());
    }
  }
  if (issuers.empty()) {
    if (!cert.IsSelfIssued()) {
      r.AddInfo("constraints-not-checked",
                "its issuers' name constraints were not checked: give --issuer, or a chain");
    }
    return;
  }
  const auto eku = cert.ExtendedKeyUsageNames();
  const bool server_auth = eku.empty() || Has(eku, "serverAuth");
  if (Status st = IssuerConstraints::Of(issuers).Admits({cn, sans}, server_auth); !st) {
    r.AddError("name-constraints", st.error().message());
  }
}

}  // namespace

Report Lint(const crypto::Certificate& cert, Clock::time_point now, const LintLimits& limits,
            const std::vector<crypto::Certificate>& issuers) {
  Report r;
  LintStructure(cert, r);
  LintNames(cert, issuers, r);
  const auto bc = cert.GetBasicConstraints();
  const auto ku = cert.KeyUsageNames();
  const auto eku = cert.ExtendedKeyUsageNames();
  const bool is_ca = bc && bc->is_ca;
  const bool acts_as_leaf =
      Has(eku, "serverAuth") || Has(eku, "clientAuth") || (!ku.empty() && !Has(ku, "keyCertSign"));
  if (is_ca && acts_as_leaf) {
    r.AddError("ca-on-leaf",
               "CA:TRUE on a certificate used as a TLS end entity: its key can "
               "issue certificates");
  }
  if (!is_ca) {
    LintLeaf(cert, now, limits, r);
  }
  if (now > cert.NotAfter()) {
    r.AddError("expired", "expired on " + Iso8601(cert.NotAfter()));
  }
  if (now < cert.NotBefore()) {
    r.AddError("not-yet-valid", "valid from " + Iso8601(cert.NotBefore()));
  }
  return r;
}

}  // namespace anchor::ca
