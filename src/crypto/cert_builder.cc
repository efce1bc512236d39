// SPDX-License-Identifier: Apache-2.0
// File: cert_builder.cc: X.509 v3 encoding of a `CertTemplate`, extension by extension.
#include "crypto/cert_builder.h"

#include <openssl/x509v3.h>

#include "crypto/internal/der.h"
#include "crypto/internal/general_names.h"
#include "crypto/internal/handles.h"
#include "crypto/internal/spki.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

// AddExtension encodes `value` as extension `nid` of `x`; `value` stays owned by the caller.
Status AddExtension(X509* x, int nid, void* value, bool critical) {
  if (::X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) != 1) {
    return ossl::OsslError(std::string("adding extension ") + ::OBJ_nid2sn(nid));
  }
  return OkStatus();
}

Status SetSubject(X509* x, const CertTemplate& tmpl) {
  X509_NAME* name = ::X509_get_subject_name(x);
  auto add = [&](int nid, const std::string& value) -> Status {
    if (value.empty()) {
      return OkStatus();
    }
    if (::X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), -1, 0) != 1) {
      return ossl::OsslError("subject field '" + value + "' is not valid (at most 64 characters)",
                             Code::kInvalidArgument);
    }
    return OkStatus();
  };
  ANCHOR_TRY(add(NID_organizationName, tmpl.organization));
  return add(NID_commonName, tmpl.common_name);
}

Status SetValidity(X509* x, const CertTemplate& tmpl) {
  if (tmpl.not_after <= tmpl.not_before) {
    return Error(Code::kInvalidArgument, "notAfter must be later than notBefore");
  }
  if (::ASN1_TIME_set(::X509_getm_notBefore(x),
                      static_cast<time_t>(UnixSeconds(tmpl.not_before))) == nullptr ||
      ::ASN1_TIME_set(::X509_getm_notAfter(x), static_cast<time_t>(UnixSeconds(tmpl.not_after))) ==
          nullptr) {
    return ossl::OsslError("ASN1_TIME_set");
  }
  return OkStatus();
}

Status SetSerial(X509* x, const std::vector<uint8_t>& serial) {
  ossl::Ptr<BIGNUM> bn(::BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || ::BN_is_zero(bn.get()) ||
      ::BN_to_ASN1_INTEGER(bn.get(), ::X509_get_serialNumber(x)) == nullptr) {
    return ossl::OsslError("the serial number must be positive", Code::kInvalidArgument);
  }
  return OkStatus();
}

Status AddBasicConstraints(X509* x, const CertTemplate& tmpl) {
  ossl::Ptr<BASIC_CONSTRAINTS> bc(::BASIC_CONSTRAINTS_new());
  bc->ca = tmpl.is_ca ? 0xff : 0;
  if (tmpl.is_ca && tmpl.path_len) {
    bc->pathlen = ::ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ::ASN1_INTEGER_set(bc->pathlen, *tmpl.path_len) != 1) {
      return ossl::OsslError("ASN1_INTEGER_set");
    }
  }
  return AddExtension(x, NID_basic_constraints, bc.get(), /*critical=*/true);
}

Status AddKeyUsage(X509* x, uint32_t bits) {
  ossl::Ptr<ASN1_BIT_STRING> ku(::ASN1_BIT_STRING_new());
  for (int bit = 0; bit < 9; ++bit) {
    if ((bits & (1u << bit)) != 0 && ::ASN1_BIT_STRING_set_bit(ku.get(), bit, 1) != 1) {
      return ossl::OsslError("ASN1_BIT_STRING_set_bit");
    }
  }
  return AddExtension(x, NID_key_usage, ku.get(), /*critical=*/true);
}

Status AddExtKeyUsage(X509* x, const std::vector<ExtKeyUsage>& usages) {
  ossl::Ptr<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
  for (const ExtKeyUsage u : usages) {
    const int nid = u == ExtKeyUsage::kServerAuth   ? NID_server_auth
                    : u == ExtKeyUsage::kClientAuth ? NID_client_auth
                                                    : NID_OCSP_sign;
    // OBJ_nid2obj returns a static object: the stack's free leaves it alone.
    if (sk_ASN1_OBJECT_push(eku.get(), ::OBJ_nid2obj(nid)) == 0) {
      return ossl::OsslError("sk_ASN1_OBJECT_push");
    }
  }
  return AddExtension(x, NID_ext_key_usage, eku.get(), /*critical=*/false);
}

Status AddKeyIdentifiers(X509* x, const Certificate* issuer, bool authority_key_id) {
  // RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (::X509_pubkey_digest(x, ::EVP_sha1(), md, &len) != 1) {
    return ossl::OsslError("X509_pubkey_digest");
  }
  ossl::Ptr<ASN1_OCTET_STRING> skid(::ASN1_OCTET_STRING_new());
  if (!skid || ::ASN1_OCTET_STRING_set(skid.get(), md, static_cast<int>(len)) != 1) {
    return ossl::OsslError("ASN1_OCTET_STRING_set");
  }
  ANCHOR_TRY(AddExtension(x, NID_subject_key_identifier, skid.get(), false));
  if (!authority_key_id) {
    return OkStatus();
  }
  const ASN1_OCTET_STRING* issuer_skid =
      issuer != nullptr ? ::X509_get0_subject_key_id(internal::Native(*issuer)) : skid.get();
  if (issuer_skid == nullptr) {
    return Error(Code::kFailedPrecondition, "the issuer certificate has no subject key identifier");
  }
  ossl::Ptr<AUTHORITY_KEYID> akid(::AUTHORITY_KEYID_new());
  akid->keyid = ::ASN1_OCTET_STRING_dup(issuer_skid);
  if (akid->keyid == nullptr) {
    return ossl::OsslError("ASN1_OCTET_STRING_dup");
  }
  return AddExtension(x, NID_authority_key_identifier, akid.get(), false);
}

Result<ossl::Ptr<GENERAL_NAMES>> UriNames(const std::vector<std::string>& urls) {
  std::vector<GeneralName> names;
  for (const std::string& url : urls) {
    names.push_back({GeneralName::Kind::kUri, url});
  }
  return internal::ToOpenssl(names);
}

Status AddCrlDistributionPoints(X509* x, const std::vector<std::string>& urls) {
  ossl::Ptr<CRL_DIST_POINTS> cdp(sk_DIST_POINT_new_null());
  ossl::Ptr<DIST_POINT> dp(::DIST_POINT_new());
  dp->distpoint = ::DIST_POINT_NAME_new();
  if (!cdp || dp->distpoint == nullptr) {
    return ossl::OsslError("DIST_POINT_new");
  }
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> names, UriNames(urls));
  dp->distpoint->type = 0;  // fullName
  dp->distpoint->name.fullname = names.release();
  if (sk_DIST_POINT_push(cdp.get(), dp.get()) == 0) {
    return ossl::OsslError("sk_DIST_POINT_push");
  }
  dp.release();  // the stack owns it now
  return AddExtension(x, NID_crl_distribution_points, cdp.get(), false);
}

Status AddAccess(AUTHORITY_INFO_ACCESS* aia, int method_nid, const std::string& url) {
  ossl::Ptr<ACCESS_DESCRIPTION> ad(::ACCESS_DESCRIPTION_new());
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> names, UriNames({url}));
  GENERAL_NAME* gn = sk_GENERAL_NAME_shift(names.get());
  ::GENERAL_NAME_free(ad->location);
  ad->location = gn;
  ad->method = ::OBJ_nid2obj(method_nid);
  if (sk_ACCESS_DESCRIPTION_push(aia, ad.get()) == 0) {
    return ossl::OsslError("sk_ACCESS_DESCRIPTION_push");
  }
  ad.release();  // the stack owns it now
  return OkStatus();
}

Status AddAuthorityInfoAccess(X509* x, const CertTemplate& tmpl) {
  ossl::Ptr<AUTHORITY_INFO_ACCESS> aia(sk_ACCESS_DESCRIPTION_new_null());
  for (const std::string& url : tmpl.ocsp_urls) {
    ANCHOR_TRY(AddAccess(aia.get(), NID_ad_OCSP, url));
  }
  for (const std::string& url : tmpl.ca_issuer_urls) {
    ANCHOR_TRY(AddAccess(aia.get(), NID_ad_ca_issuers, url));
  }
  return AddExtension(x, NID_info_access, aia.get(), false);
}

Status AddNameConstraints(X509* x, const std::vector<std::string>& permitted_dns) {
  ossl::Ptr<NAME_CONSTRAINTS> nc(::NAME_CONSTRAINTS_new());
  nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
  for (const std::string& dns : permitted_dns) {
    ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> names,
                            internal::ToOpenssl({GeneralName{GeneralName::Kind::kDns, dns}}));
    GENERAL_SUBTREE* subtree = ::GENERAL_SUBTREE_new();
    ::GENERAL_NAME_free(subtree->base);
    subtree->base = sk_GENERAL_NAME_shift(names.get());
    if (sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, subtree) == 0) {
      ::GENERAL_SUBTREE_free(subtree);
      return ossl::OsslError("sk_GENERAL_SUBTREE_push");
    }
  }
  return AddExtension(x, NID_name_constraints, nc.get(), /*critical=*/true);
}

//= https://www.rfc-editor.org/rfc/rfc6960#section-4.2.2.2.1
//# The value of the extension SHALL be NULL.
Status AddOcspNoCheck(X509* x) {
  static constexpr unsigned char kDerNull[] = {0x05, 0x00};
  ossl::Ptr<ASN1_STRING> value(::ASN1_OCTET_STRING_new());
  if (!value || ::ASN1_OCTET_STRING_set(value.get(), kDerNull, sizeof kDerNull) != 1) {
    return ossl::OsslError("ASN1_OCTET_STRING_set");
  }
  ossl::Ptr<X509_EXTENSION> ext(
      ::X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_noCheck, 0, value.get()));
  if (!ext || ::X509_add_ext(x, ext.get(), -1) != 1) {
    return ossl::OsslError("adding extension ocspNoCheck");
  }
  return OkStatus();
}

//= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.4
//# In an end entity certificate, these policy information terms indicate the policy under which
//# the certificate has been issued and the purposes for which the certificate may be used.
// Non-critical: a relying party that does not know anchor's policy still accepts the certificate.
Status AddCertificatePolicies(X509* x, const std::vector<std::string>& oids) {
  ossl::Ptr<CERTIFICATEPOLICIES> policies(sk_POLICYINFO_new_null());
  if (!policies) {
    return ossl::OsslError("sk_POLICYINFO_new_null");
  }
  for (const std::string& oid : oids) {
    POLICYINFO* info = ::POLICYINFO_new();
    if (info == nullptr) {
      return ossl::OsslError("POLICYINFO_new");
    }
    ::ASN1_OBJECT_free(info->policyid);
    info->policyid = ::OBJ_txt2obj(oid.c_str(), /*no_name=*/1);
    if (info->policyid == nullptr || sk_POLICYINFO_push(policies.get(), info) == 0) {
      ::POLICYINFO_free(info);
      return ossl::OsslError("certificate policy " + oid, Code::kInvalidArgument);
    }
  }
  return AddExtension(x, NID_certificate_policies, policies.get(), /*critical=*/false);
}

Status AddExtensions(X509* x, const CertTemplate& tmpl, const Certificate* issuer) {
  ANCHOR_TRY(AddBasicConstraints(x, tmpl));
  if (tmpl.key_usage != 0) {
    ANCHOR_TRY(AddKeyUsage(x, tmpl.key_usage));
  }
  if (!tmpl.ext_key_usage.empty()) {
    ANCHOR_TRY(AddExtKeyUsage(x, tmpl.ext_key_usage));
  }
  ANCHOR_TRY(AddKeyIdentifiers(x, issuer, tmpl.authority_key_id));
  if (!tmpl.sans.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> sans, internal::ToOpenssl(tmpl.sans));
    // RFC 5280 4.2.1.6: critical when the subject is an empty sequence.
    ANCHOR_TRY(AddExtension(x, NID_subject_alt_name, sans.get(), tmpl.common_name.empty()));
  }
  if (!tmpl.permitted_dns.empty()) {
    ANCHOR_TRY(AddNameConstraints(x, tmpl.permitted_dns));
  }
  if (!tmpl.crl_urls.empty()) {
    ANCHOR_TRY(AddCrlDistributionPoints(x, tmpl.crl_urls));
  }
  if (!tmpl.ocsp_urls.empty() || !tmpl.ca_issuer_urls.empty()) {
    ANCHOR_TRY(AddAuthorityInfoAccess(x, tmpl));
  }
  if (tmpl.ocsp_no_check) {
    ANCHOR_TRY(AddOcspNoCheck(x));
  }
  if (!tmpl.policy_oids.empty()) {
    ANCHOR_TRY(AddCertificatePolicies(x, tmpl.policy_oids));
  }
  return OkStatus();
}

}  // namespace

Result<Certificate> SignCertificate(const CertTemplate& tmpl, const PublicKey& subject_key,
                                    const Certificate* issuer, const PrivateKey& issuer_key) {
  ossl::Ptr<X509> x(::X509_new());
  if (!x || ::X509_set_version(x.get(), X509_VERSION_3) != 1) {
    return ossl::OsslError("X509_new");
  }
  ANCHOR_TRY(SetSerial(x.get(), tmpl.serial));
  ANCHOR_TRY(SetSubject(x.get(), tmpl));
  X509_NAME* issuer_name = issuer != nullptr ? ::X509_get_subject_name(internal::Native(*issuer))
                                             : ::X509_get_subject_name(x.get());
  if (::X509_set_issuer_name(x.get(), issuer_name) != 1) {
    return ossl::OsslError("X509_set_issuer_name");
  }
  ANCHOR_TRY(SetValidity(x.get(), tmpl));
  // Copy the request's SPKI bytes when we have them: X509_set_pubkey costs an encode and a
  // decode through OpenSSL 3.0's provider machinery.
  const bool copied =
      internal::Spki(subject_key) != nullptr &&
      internal::CopySpkiInto(internal::Spki(subject_key), ::X509_get_X509_PUBKEY(x.get()));
  if (!copied && ::X509_set_pubkey(x.get(), internal::Native(subject_key)) != 1) {
    return ossl::OsslError("X509_set_pubkey");
  }
  ANCHOR_TRY(AddExtensions(x.get(), tmpl, issuer));
  if (::X509_sign(x.get(), internal::Native(issuer_key), internal::SigningDigest(issuer_key)) <=
      0) {
    return ossl::OsslError("X509_sign");
  }
  // Hand out the certificate as every relying party will see it: its DER, parsed afresh. The
  // object just built carries the SPKI bytes but no decoded key (CopySpkiInto cannot set one),
  // and X509_verify_cert with X509_V_FLAG_X509_STRICT refuses a leaf whose key it cannot see
  // (check_curve: X509_V_ERR_UNSPECIFIED). Parsing costs one key decode; X509_set_pubkey instead
  // would cost an encode and a decode.
  return Certificate::FromDer(internal::I2d(::i2d_X509, x.get()));
}

}  // namespace anchor::crypto
