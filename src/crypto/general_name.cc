// SPDX-License-Identifier: Apache-2.0
// File: general_name.cc: conversions between `GeneralName` and OpenSSL's GENERAL_NAME.
#include "crypto/general_name.h"

#include "core/text.h"
#include "crypto/internal/general_names.h"
#include "crypto/ossl_error.h"
#include "names/dns_name.h"
#include "names/ip_address.h"
#include "names/mailbox.h"
#include "names/uri.h"

namespace anchor::crypto {
namespace {

std::string Ia5(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(::ASN1_STRING_length(s)));
}

Result<ossl::Ptr<GENERAL_NAME>> MakeName(const GeneralName& name) {
  ossl::Ptr<GENERAL_NAME> gn(::GENERAL_NAME_new());
  if (!gn) {
    return ossl::OsslError("GENERAL_NAME_new");
  }
  if (name.kind == GeneralName::Kind::kIp) {
    ossl::Ptr<ASN1_OCTET_STRING> ip(::a2i_IPADDRESS(name.value.c_str()));
    if (!ip) {
      return ossl::OsslError("'" + name.value + "' is not an IP address", Code::kInvalidArgument);
    }
    ::GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, ip.release());
    return gn;
  }
  ASN1_IA5STRING* ia5 = ::ASN1_IA5STRING_new();
  if (ia5 == nullptr ||
      ::ASN1_STRING_set(ia5, name.value.data(), static_cast<int>(name.value.size())) != 1) {
    ::ASN1_IA5STRING_free(ia5);
    return ossl::OsslError("ASN1_STRING_set");
  }
  const int type = name.kind == GeneralName::Kind::kDns   ? GEN_DNS
                   : name.kind == GeneralName::Kind::kUri ? GEN_URI
                                                          : GEN_EMAIL;
  ::GENERAL_NAME_set0_value(gn.get(), type, ia5);
  return gn;
}

}  // namespace

std::string GeneralName::ToString() const {
  switch (kind) {
    case Kind::kDns:
      return "dns:" + value;
    case Kind::kIp:
      return "ip:" + value;
    case Kind::kUri:
      return "uri:" + value;
    case Kind::kEmail:
      return "email:" + value;
  }
  return value;
}

bool IsIpAddress(std::string_view text) { return names::ParseIpAddress(text).has_value(); }

Result<GeneralName> NormalizeGeneralName(const GeneralName& name) {
  using Kind = GeneralName::Kind;
  switch (name.kind) {
    case Kind::kDns: {
      ANCHOR_ASSIGN_OR_RETURN(std::string dns,
                              names::NormalizeDnsName(name.value, names::Wildcard::kAllow));
      return GeneralName{Kind::kDns, std::move(dns)};
    }
    case Kind::kIp: {
      ANCHOR_ASSIGN_OR_RETURN(std::string ip, names::NormalizeIpAddress(name.value));
      return GeneralName{Kind::kIp, std::move(ip)};
    }
    case Kind::kEmail: {
      ANCHOR_ASSIGN_OR_RETURN(std::string mailbox, names::NormalizeMailbox(name.value));
      return GeneralName{Kind::kEmail, std::move(mailbox)};
    }
    case Kind::kUri:
      ANCHOR_TRY(names::CheckUri(name.value));
      return name;
  }
  return Error(Code::kInvalidArgument, "unknown name kind");
}

Result<GeneralName> ParseGeneralName(std::string_view text) {
  using Kind = GeneralName::Kind;
  const auto colon = text.find(':');
  const std::string kind = colon == std::string_view::npos ? "" : ToLower(text.substr(0, colon));
  const std::string rest(colon == std::string_view::npos ? text : text.substr(colon + 1));
  if (kind == "dns") {
    return NormalizeGeneralName({Kind::kDns, rest});
  }
  if (kind == "ip") {
    return NormalizeGeneralName({Kind::kIp, rest});
  }
  if (kind == "uri") {
    return NormalizeGeneralName({Kind::kUri, rest});
  }
  if (kind == "email") {
    return NormalizeGeneralName({Kind::kEmail, rest});
  }
  // No known prefix: an IPv6 literal has colons of its own, so try IP on the whole text first.
  if (IsIpAddress(text)) {
    return NormalizeGeneralName({Kind::kIp, std::string(text)});
  }
  if (colon != std::string_view::npos) {
    return Error(Code::kInvalidArgument,
                 "unknown name kind in '" + Printable(text) +
                     "'; write dns:NAME, ip:ADDRESS, uri:URI or email:ADDR");
  }
  return NormalizeGeneralName({Kind::kDns, std::string(text)});
}

namespace internal {

Result<ossl::Ptr<GENERAL_NAMES>> ToOpenssl(const std::vector<GeneralName>& names) {
  ossl::Ptr<GENERAL_NAMES> out(sk_GENERAL_NAME_new_null());
  if (!out) {
    return ossl::OsslError("sk_GENERAL_NAME_new_null");
  }
  for (const GeneralName& name : names) {
    ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAME> gn, MakeName(name));
    if (sk_GENERAL_NAME_push(out.get(), gn.get()) == 0) {
      return ossl::OsslError("sk_GENERAL_NAME_push");
    }
    gn.release();  // the stack owns it now
  }
  return out;
}

std::vector<GeneralName> FromOpenssl(const GENERAL_NAMES* names,
                                     std::vector<std::string>* unknown) {
  std::vector<GeneralName> out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    switch (gn->type) {
      case GEN_DNS:
        out.push_back({GeneralName::Kind::kDns, Ia5(gn->d.dNSName)});
        break;
      case GEN_URI:
        out.push_back({GeneralName::Kind::kUri, Ia5(gn->d.uniformResourceIdentifier)});
        break;
      case GEN_EMAIL:
        out.push_back({GeneralName::Kind::kEmail, Ia5(gn->d.rfc822Name)});
        break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
        const std::string text = names::FormatIpAddress(
            {::ASN1_STRING_get0_data(ip), static_cast<size_t>(::ASN1_STRING_length(ip))});
        if (!text.empty()) {
          out.push_back({GeneralName::Kind::kIp, text});
        } else if (unknown != nullptr) {
          unknown->push_back("ip:<malformed>");
        }
        break;
      }
      default:
        if (unknown != nullptr) {
          unknown->push_back(gn->type == GEN_DIRNAME     ? "dirname"
                             : gn->type == GEN_OTHERNAME ? "othername"
                                                         : "other");
        }
    }
  }
  return out;
}

}  // namespace internal
}  // namespace anchor::crypto
