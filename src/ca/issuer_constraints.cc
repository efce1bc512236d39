// SPDX-License-Identifier: Apache-2.0
// File: issuer_constraints.cc: name-constraint policy by name form.
#include "ca/issuer_constraints.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "names/ip_address.h"
#include "names/name_constraints.h"

namespace anchor::ca {
namespace {

using crypto::GeneralName;
using Kind = GeneralName::Kind;

std::string_view FormName(Kind kind) {
  switch (kind) {
    case Kind::kDns:
      return "DNS names";
    case Kind::kIp:
      return "IP ranges";
    case Kind::kEmail:
      return "email addresses";
    case Kind::kUri:
      return "URI hosts";
  }
  return "names";
}

bool Matches(const GeneralName& name, const crypto::NameSubtree& subtree) {
  switch (name.kind) {
    case Kind::kDns:
      return names::DnsNameWithin(name.value, subtree.value);
    case Kind::kEmail:
      return names::MailboxWithin(name.value, subtree.value);
    case Kind::kUri:
      return names::UriWithin(name.value, subtree.value);
    case Kind::kIp: {
      const auto octets = names::ParseIpAddress(name.value);
      return octets && names::IpWithin(*octets, subtree.ip);
    }
  }
  return false;
}

std::string SubtreeList(const std::vector<crypto::NameSubtree>& subtrees, Kind kind) {
  std::vector<std::string> values;
  for (const crypto::NameSubtree& s : subtrees) {
    if (s.supported && s.kind == kind) {
      values.push_back(s.value);
    }
  }
  return Join(values, ", ");
}

}  // namespace

bool ReadsAsDnsName(std::string_view cn) {
  bool dotted = false;
  for (size_t i = 0; i < cn.size(); ++i) {
    const char c = cn[i];
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      continue;
    }
    const bool inside = i > 0 && i + 1 < cn.size();
    if (inside && c == '-') {
      continue;
    }
    if (inside && c == '.' && cn[i + 1] != '.' && cn[i - 1] != '-' && cn[i + 1] != '-') {
      dotted = true;
      continue;
    }
    return false;
  }
  return dotted;
}

IssuerConstraints IssuerConstraints::Of(const std::vector<crypto::Certificate>& cas) {
  IssuerConstraints out;
  for (const crypto::Certificate& ca : cas) {
    if (auto nc = ca.GetNameConstraints()) {
      out.constraints_.push_back({ca.Subject(), std::move(*nc)});
    }
  }
  return out;
}

Status IssuerConstraints::AdmitsName(const GeneralName& name, bool from_common_name) const {
  const std::string shown = (from_common_name ? "the common name " : "") + name.value;
  for (const Constrained& c : constraints_) {
    const auto& permitted = c.nc.permitted;
    // A subtree constrains the names of its own form only; one that anchor cannot read (a
    // malformed IP range) still constrains its form, and then matches nothing.
    const auto constrains = [&](const crypto::NameSubtree& s) {
      return s.kind == name.kind && (s.supported || s.kind == Kind::kIp);
    };
    //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
    //# Restrictions apply only when the specified name form is present.  If no name of the type
    //# is in the certificate, the certificate is acceptable.
    const bool form_constrained = std::any_of(permitted.begin(), permitted.end(), constrains);
    const bool permitted_ok =
        !form_constrained || std::any_of(permitted.begin(), permitted.end(), [&](const auto& s) {
          return constrains(s) && s.supported && Matches(name, s);
        });
    if (!permitted_ok) {
      const std::string list = SubtreeList(permitted, name.kind);
      return Error(Code::kPermissionDenied, shown + " is outside the CA's permitted " +
                                                std::string(FormName(name.kind)) + " (" +
                                                (list.empty() ? "none" : list) + ")");
    }
    //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
    //# Any name matching a restriction in the excludedSubtrees field is invalid regardless of
    //# information appearing in the permittedSubtrees.
    for (const crypto::NameSubtree& s : c.nc.excluded) {
      if (s.supported && s.kind == name.kind && Matches(name, s)) {
        return Error(Code::kPermissionDenied, shown + " is inside the CA's excluded " +
                                                  std::string(FormName(name.kind)) + " (" +
                                                  s.value + ")");
      }
    }
  }
  return OkStatus();
}

std::vector<std::string> IssuerConstraints::PermittedDnsNames() const {
  std::vector<std::string> out;
  for (const Constrained& c : constraints_) {
    for (const crypto::NameSubtree& s : c.nc.permitted) {
      if (s.supported && s.kind == Kind::kDns) {
        out.push_back(s.value);
      }
    }
  }
  return out;
}

Status IssuerConstraints::Admits(const NameRequest& names, bool server_auth) const {
  if (constraints_.empty()) {
    return OkStatus();
  }
  for (const GeneralName& n : names.sans) {
    ANCHOR_TRY(AdmitsName(n, /*from_common_name=*/false));
  }
  const bool has_dns = std::any_of(names.sans.begin(), names.sans.end(),
                                   [](const GeneralName& n) { return n.kind == Kind::kDns; });
  if (has_dns) {
    return OkStatus();
  }
  // Without a DNS SAN, verifiers read the CN: OpenSSL when it looks like a host name, GnuTLS
  // for every server certificate.
  if (ReadsAsDnsName(names.common_name)) {
    if (Status st = AdmitsName({Kind::kDns, ToLower(names.common_name)}, true); !st) {
      return Error(Code::kPermissionDenied,
                   st.error().message() +
                       "; with no DNS name in the certificate, verifiers read "
                       "the common name as one: use a common name within them, "
                       "or add --san dns:NAME within them");
    }
    return OkStatus();
  }
  const std::vector<std::string> permitted = PermittedDnsNames();
  if (server_auth && !permitted.empty()) {
    return Error(Code::kPermissionDenied,
                 "a server certificate under the CA's permitted DNS names (" +
                     Join(permitted, ", ") +
                     ") needs a DNS name within them: without one, "
                     "GnuTLS holds the common name '" +
                     Printable(names.common_name) + "' to them; add --san dns:NAME within them");
  }
  return OkStatus();
}

}  // namespace anchor::ca
