// SPDX-License-Identifier: Apache-2.0
// File: certificate.cc: parsing X.509 certificates and reading their fields.
#include "crypto/certificate.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <bit>

#include "core/text.h"
#include "crypto/digest.h"
#include "crypto/internal/asn1_values.h"
#include "crypto/internal/der.h"
#include "crypto/internal/general_names.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"
#include "crypto/pem.h"
#include "names/ip_address.h"

namespace anchor::crypto {
namespace {

std::string OctetsHex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) {
    return "";
  }
  return HexEncode({::ASN1_STRING_get0_data(s), static_cast<size_t>(::ASN1_STRING_length(s))}, ':');
}

template <typename T>
ossl::Ptr<T> GetExt(X509* x, int nid, int* critical = nullptr) {
  return ossl::Ptr<T>(static_cast<T*>(::X509_get_ext_d2i(x, nid, critical, nullptr)));
}

std::vector<std::string> AccessUrls(X509* x, int method_nid) {
  std::vector<std::string> out;
  auto aia = GetExt<AUTHORITY_INFO_ACCESS>(x, NID_info_access);
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
    if (::OBJ_obj2nid(ad->method) == method_nid && ad->location->type == GEN_URI) {
      const auto* uri = ad->location->d.uniformResourceIdentifier;
      out.emplace_back(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(uri)),
                       static_cast<size_t>(::ASN1_STRING_length(uri)));
    }
  }
  return out;
}

// HasExtensionNid tells whether `x` carries the extension `nid`.
bool HasExtensionNid(const X509* x, int nid) { return ::X509_get_ext_by_NID(x, nid, -1) >= 0; }

}  // namespace

namespace internal {

Clock::time_point AsnTimeToTimePoint(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ::ASN1_TIME_to_tm(t, &tm) != 1) {
    return Clock::time_point{};
  }
  return FromUnixSeconds(static_cast<int64_t>(::timegm(&tm)));
}

std::string NameToString(const X509_NAME* name) {
  ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  ::X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return internal::BioToString(bio.get());
}

std::string NameCommonName(const X509_NAME* name) {
  int last = -1;
  for (int i = ::X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
       i = ::X509_NAME_get_index_by_NID(name, NID_commonName, i)) {
    last = i;
  }
  if (last < 0) {
    return "";
  }
  const ASN1_STRING* data = ::X509_NAME_ENTRY_get_data(::X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  const int len = ::ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    ossl::ClearErrors();
    return "";
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  ::OPENSSL_free(utf8);
  return out;
}

Certificate BorrowCertificate(X509* x509) { return Handles::Wrap(ossl::UpRef(x509)); }
Certificate AdoptCertificate(X509* x509) { return Handles::Wrap(ossl::Ptr<X509>(x509)); }

}  // namespace internal

Certificate::Certificate(const Certificate& other) : x509_(ossl::UpRef(other.x509_.get())) {}

Certificate& Certificate::operator=(const Certificate& other) {
  x509_ = ossl::UpRef(other.x509_.get());
  return *this;
}

Result<Certificate> Certificate::FromDer(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<X509> x, internal::D2iExact(::d2i_X509, der, "certificate"));
  return Certificate(std::move(x));
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<Certificate> all, ParseAll(pem));
  return std::move(all.front());
}

Result<std::vector<Certificate>> Certificate::ParseAll(std::string_view data) {
  std::vector<Certificate> out;
  if (!LooksLikePem(data)) {
    ANCHOR_ASSIGN_OR_RETURN(Certificate c, FromDer(AsBytes(data)));
    out.push_back(std::move(c));
    return out;
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<PemBlock> blocks, ParsePemBlocks(data));
  for (const PemBlock& block : blocks) {
    if (block.label != "CERTIFICATE" && block.label != "TRUSTED CERTIFICATE") {
      continue;
    }
    auto cert = FromDer(block.der);
    if (!cert) {
      return cert.error().Prefixed("certificate #" + std::to_string(out.size() + 1));
    }
    out.push_back(std::move(cert).value());
  }
  if (out.empty()) {
    return Error(Code::kInvalidArgument,
                 "no certificate found (expected -----BEGIN CERTIFICATE-----)");
  }
  return out;
}

std::vector<uint8_t> Certificate::ToDer() const { return internal::I2d(::i2d_X509, x509_.get()); }

std::string Certificate::ToPem() const {
  ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  ANCHOR_CHECK(::PEM_write_bio_X509(bio.get(), x509_.get()) == 1);
  return internal::BioToString(bio.get());
}

std::vector<uint8_t> Certificate::SerialBytes() const {
  ossl::Ptr<BIGNUM> bn(::ASN1_INTEGER_to_BN(::X509_get0_serialNumber(x509_.get()), nullptr));
  std::vector<uint8_t> out(static_cast<size_t>(BN_num_bytes(bn.get())));
  ::BN_bn2bin(bn.get(), out.data());
  if (out.empty()) {
    out.push_back(0);
  }
  return out;
}

std::string Certificate::SerialHex() const { return HexEncode(SerialBytes()); }

int Certificate::Version() const { return static_cast<int>(::X509_get_version(x509_.get())) + 1; }

std::string Certificate::Subject() const {
  return internal::NameToString(::X509_get_subject_name(x509_.get()));
}

std::string Certificate::Issuer() const {
  return internal::NameToString(::X509_get_issuer_name(x509_.get()));
}

std::string Certificate::CommonName() const {
  return internal::NameCommonName(::X509_get_subject_name(x509_.get()));
}

int Certificate::CommonNameCount() const {
  const X509_NAME* subject = ::X509_get_subject_name(x509_.get());
  int count = 0;
  for (int i = ::X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = ::X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    ++count;
  }
  return count;
}

Clock::time_point Certificate::NotBefore() const {
  return internal::AsnTimeToTimePoint(::X509_get0_notBefore(x509_.get()));
}

Clock::time_point Certificate::NotAfter() const {
  return internal::AsnTimeToTimePoint(::X509_get0_notAfter(x509_.get()));
}

std::vector<GeneralName> Certificate::SubjectAltNames() const {
  auto sans = GetExt<GENERAL_NAMES>(x509_.get(), NID_subject_alt_name);
  return internal::FromOpenssl(sans.get(), nullptr);
}

bool Certificate::HasExtension(std::string_view oid) const {
  // no_name = 1: only a dotted OID is accepted, never OpenSSL's short or long names.
  ossl::Ptr<ASN1_OBJECT> obj(::OBJ_txt2obj(std::string(oid).c_str(), 1));
  if (!obj) {
    ossl::ClearErrors();
    return false;
  }
  return ::X509_get_ext_by_OBJ(x509_.get(), obj.get(), -1) >= 0;
}

std::string NameSubtree::ToString() const {
  return supported ? GeneralName{kind, value}.ToString() : value;
}

namespace {

// IpSubtreeText writes an iPAddress constraint (address then mask) as "address/prefix".
std::string IpSubtreeText(std::span<const uint8_t> octets) {
  const size_t n = octets.size() / 2;
  int prefix = 0;
  for (size_t i = n; i < octets.size(); ++i) {
    prefix += std::popcount(octets[i]);
  }
  return names::FormatIpAddress(octets.first(n)) + "/" + std::to_string(prefix);
}

NameSubtree ToSubtree(const GENERAL_SUBTREE* subtree) {
  const GENERAL_NAME* base = subtree->base;
  NameSubtree out;
  const auto ia5 = [](const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(::ASN1_STRING_length(s)));
  };
  switch (base->type) {
    case GEN_DNS:
      out = {GeneralName::Kind::kDns, ia5(base->d.dNSName)};
      break;
    case GEN_EMAIL:
      out = {GeneralName::Kind::kEmail, ia5(base->d.rfc822Name)};
      break;
    case GEN_URI:
      out = {GeneralName::Kind::kUri, ia5(base->d.uniformResourceIdentifier)};
      break;
    case GEN_IPADD: {
      const ASN1_OCTET_STRING* ip = base->d.iPAddress;
      out.kind = GeneralName::Kind::kIp;
      out.ip.assign(::ASN1_STRING_get0_data(ip),
                    ::ASN1_STRING_get0_data(ip) + ::ASN1_STRING_length(ip));
      out.supported = out.ip.size() == 8 || out.ip.size() == 32;
      out.value = out.supported ? IpSubtreeText(out.ip) : "ip:<malformed>";
      break;
    }
    case GEN_DIRNAME:
      out.supported = false;
      out.value = "dirname:" + internal::NameToString(base->d.directoryName);
      break;
    default:
      out.supported = false;
      out.value = "other name form " + std::to_string(base->type);
  }
  return out;
}

}  // namespace

std::optional<NameConstraints> Certificate::GetNameConstraints() const {
  int critical = 0;
  auto nc = GetExt<NAME_CONSTRAINTS>(x509_.get(), NID_name_constraints, &critical);
  if (!nc) {
    return std::nullopt;
  }
  NameConstraints out;
  out.critical = critical != 0;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
    out.permitted.push_back(ToSubtree(sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)));
  }
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); ++i) {
    out.excluded.push_back(ToSubtree(sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i)));
  }
  return out;
}

std::optional<BasicConstraints> Certificate::GetBasicConstraints() const {
  int critical = 0;
  auto bc = GetExt<BASIC_CONSTRAINTS>(x509_.get(), NID_basic_constraints, &critical);
  if (!bc) {
    return std::nullopt;
  }
  BasicConstraints out;
  out.is_ca = bc->ca != 0;
  out.critical = critical == 1;
  if (bc->pathlen != nullptr) {
    out.path_len = ::ASN1_INTEGER_get(bc->pathlen);
  }
  return out;
}

bool Certificate::IsCa() const {
  const auto bc = GetBasicConstraints();
  return bc && bc->is_ca;
}

std::vector<std::string> Certificate::KeyUsageNames() const {
  static constexpr std::pair<uint32_t, const char*> kBits[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"}};
  std::vector<std::string> out;
  if (!HasExtensionNid(x509_.get(), NID_key_usage)) {
    return out;
  }
  const uint32_t ku = ::X509_get_key_usage(x509_.get());
  for (const auto& [bit, name] : kBits) {
    if ((ku & bit) != 0) {
      out.emplace_back(name);
    }
  }
  return out;
}

bool Certificate::KeyUsageCritical() const {
  const int idx = ::X509_get_ext_by_NID(x509_.get(), NID_key_usage, -1);
  return idx >= 0 && ::X509_EXTENSION_get_critical(::X509_get_ext(x509_.get(), idx)) == 1;
}

std::vector<std::string> Certificate::ExtendedKeyUsageNames() const {
  std::vector<std::string> out;
  auto eku = GetExt<EXTENDED_KEY_USAGE>(x509_.get(), NID_ext_key_usage);
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const ASN1_OBJECT* obj = sk_ASN1_OBJECT_value(eku.get(), i);
    const int nid = ::OBJ_obj2nid(obj);
    if (nid != NID_undef) {
      out.emplace_back(::OBJ_nid2sn(nid));
      continue;
    }
    char buf[128];
    ::OBJ_obj2txt(buf, sizeof buf, obj, 1);
    out.emplace_back(buf);
  }
  return out;
}

std::vector<std::string> Certificate::PolicyOids() const {
  std::vector<std::string> out;
  auto policies = GetExt<CERTIFICATEPOLICIES>(x509_.get(), NID_certificate_policies);
  for (int i = 0; policies && i < sk_POLICYINFO_num(policies.get()); ++i) {
    char buf[128];
    ::OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(policies.get(), i)->policyid, 1);
    out.emplace_back(buf);
  }
  return out;
}

std::string Certificate::SubjectKeyIdHex() const {
  return OctetsHex(::X509_get0_subject_key_id(x509_.get()));
}

std::string Certificate::AuthorityKeyIdHex() const {
  return OctetsHex(::X509_get0_authority_key_id(x509_.get()));
}

std::vector<std::string> Certificate::CrlDistributionPoints() const {
  std::vector<std::string> out;
  auto cdp = GetExt<CRL_DIST_POINTS>(x509_.get(), NID_crl_distribution_points);
  for (int i = 0; cdp && i < sk_DIST_POINT_num(cdp.get()); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(cdp.get(), i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) {
      continue;
    }
    for (const GeneralName& n : internal::FromOpenssl(dp->distpoint->name.fullname, nullptr)) {
      out.push_back(n.value);
    }
  }
  return out;
}

std::vector<std::string> Certificate::OcspUrls() const {
  return AccessUrls(x509_.get(), NID_ad_OCSP);
}

std::vector<std::string> Certificate::CaIssuerUrls() const {
  return AccessUrls(x509_.get(), NID_ad_ca_issuers);
}

std::vector<std::string> Certificate::ExtensionNames() const {
  std::vector<std::string> out;
  for (int i = 0; i < ::X509_get_ext_count(x509_.get()); ++i) {
    X509_EXTENSION* ext = ::X509_get_ext(x509_.get(), i);
    const ASN1_OBJECT* obj = ::X509_EXTENSION_get_object(ext);
    char buf[128];
    ::OBJ_obj2txt(buf, sizeof buf, obj, 0);
    out.push_back(std::string(::X509_EXTENSION_get_critical(ext) ? "!" : "") + buf);
  }
  return out;
}

std::string Certificate::Sha256Fingerprint() const {
  const std::vector<uint8_t> der = ToDer();
  return HexEncode(Sha256(der));
}

std::string Certificate::SignatureAlgorithm() const {
  const int nid = ::X509_get_signature_nid(x509_.get());
  return nid == NID_undef ? "unknown" : ::OBJ_nid2ln(nid);
}

bool Certificate::IsSelfIssued() const {
  return ::X509_NAME_cmp(::X509_get_subject_name(x509_.get()),
                         ::X509_get_issuer_name(x509_.get())) == 0;
}

bool Certificate::NamesIssuer(const Certificate& issuer) const {
  return ::X509_NAME_cmp(::X509_get_issuer_name(x509_.get()),
                         ::X509_get_subject_name(issuer.x509_.get())) == 0;
}

PublicKey Certificate::GetPublicKey() const {
  X509_PUBKEY* spki = ::X509_get_X509_PUBKEY(x509_.get());
  if (EVP_PKEY* key = ::X509_get0_pubkey(x509_.get())) {
    return internal::BorrowPublicKey(key, spki);
  }
  // A certificate built from copied SPKI bytes has no decoded key cached; decode it now.
  ossl::ClearErrors();
  unsigned char* der = nullptr;
  const int len = ::i2d_X509_PUBKEY(spki, &der);
  auto key = len > 0 ? PublicKey::FromDer({der, static_cast<size_t>(len)})
                     : Result<PublicKey>(Error(Code::kInvalidArgument, "no public key"));
  ::OPENSSL_free(der);
  if (!key) {
    ossl::ClearErrors();
    return internal::BorrowPublicKey(nullptr);
  }
  return std::move(key).value();
}

bool Certificate::IsIssuedBy(const Certificate& issuer) const {
  return NamesIssuer(issuer) && VerifySignedBy(issuer.GetPublicKey());
}

bool Certificate::VerifySignedBy(const PublicKey& issuer) const {
  const bool ok = ::X509_verify(x509_.get(), internal::Native(issuer)) == 1;
  if (!ok) {
    ossl::ClearErrors();
  }
  return ok;
}

std::string ToPemBundle(const std::vector<Certificate>& certs) {
  std::string out;
  for (const Certificate& c : certs) {
    out += c.ToPem();
  }
  return out;
}

}  // namespace anchor::crypto
