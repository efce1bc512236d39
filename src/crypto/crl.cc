// SPDX-License-Identifier: Apache-2.0
// File: crl.cc: CRL encoding and parsing.
#include "crypto/crl.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "core/text.h"
#include "crypto/internal/asn1_values.h"
#include "crypto/internal/der.h"
#include "crypto/internal/general_names.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"
#include "crypto/pem.h"

namespace anchor::crypto {
namespace {

//= https://www.rfc-editor.org/rfc/rfc5280#section-5.3.1
//# CRLReason ::= ENUMERATED { unspecified (0), keyCompromise (1), cACompromise (2),
//#   affiliationChanged (3), superseded (4), cessationOfOperation (5), certificateHold (6),
//#   -- value 7 is not used
//#   removeFromCRL (8), privilegeWithdrawn (9), aACompromise (10) }
constexpr std::pair<int, std::string_view> kReasons[] = {
    {0, "unspecified"},        {1, "keyCompromise"}, {2, "cACompromise"},
    {3, "affiliationChanged"}, {4, "superseded"},    {5, "cessationOfOperation"},
    {9, "privilegeWithdrawn"}, {10, "aACompromise"}};

Status AddEntry(X509_CRL* crl, const RevokedEntry& entry) {
  ossl::Ptr<X509_REVOKED> rev(::X509_REVOKED_new());
  ossl::Ptr<BIGNUM> bn(
      ::BN_bin2bn(entry.serial.data(), static_cast<int>(entry.serial.size()), nullptr));
  ossl::Ptr<ASN1_INTEGER> serial(::BN_to_ASN1_INTEGER(bn.get(), nullptr));
  ossl::Ptr<ASN1_TIME> when(
      ::ASN1_TIME_set(nullptr, static_cast<time_t>(UnixSeconds(entry.revoked_at))));
  if (!rev || !serial || !when || ::X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
      ::X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1) {
    return ossl::OsslError("building a CRL entry");
  }
  if (entry.reason != 0) {
    ossl::Ptr<ASN1_ENUMERATED> reason(::ASN1_ENUMERATED_new());
    if (!reason || ::ASN1_ENUMERATED_set(reason.get(), entry.reason) != 1 ||
        ::X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, reason.get(), 0, 0) != 1) {
      return ossl::OsslError("adding a CRL reason code");
    }
  }
  if (::X509_CRL_add0_revoked(crl, rev.get()) != 1) {
    return ossl::OsslError("X509_CRL_add0_revoked");
  }
  rev.release();  // the CRL owns it now
  return OkStatus();
}

Status AddIssuingDistributionPoint(X509_CRL* crl, const std::string& url) {
  ossl::Ptr<ISSUING_DIST_POINT> idp(::ISSUING_DIST_POINT_new());
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> names,
                          internal::ToOpenssl({GeneralName{GeneralName::Kind::kUri, url}}));
  idp->distpoint = ::DIST_POINT_NAME_new();
  if (idp->distpoint == nullptr) {
    return ossl::OsslError("DIST_POINT_NAME_new");
  }
  idp->distpoint->type = 0;  // fullName
  idp->distpoint->name.fullname = names.release();
  // The intermediate issues only end-entity certificates (pathLen 0).
  idp->onlyuser = 0xff;
  //= https://www.rfc-editor.org/rfc/rfc5280#section-5.2.5
  //# Although the extension is critical, conforming implementations are not required to
  //# support this extension.
  if (::X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp.get(), 1, 0) != 1) {
    return ossl::OsslError("adding the issuing distribution point");
  }
  return OkStatus();
}

Status AddCrlExtensions(X509_CRL* crl, const CrlTemplate& tmpl, const Certificate& issuer) {
  ossl::Ptr<ASN1_INTEGER> number(::ASN1_INTEGER_new());
  if (!number || ::ASN1_INTEGER_set_int64(number.get(), tmpl.crl_number) != 1 ||
      ::X509_CRL_add1_ext_i2d(crl, NID_crl_number, number.get(), 0, 0) != 1) {
    return ossl::OsslError("adding the CRL number");
  }
  const ASN1_OCTET_STRING* skid = ::X509_get0_subject_key_id(internal::Native(issuer));
  if (skid == nullptr) {
    return Error(Code::kFailedPrecondition, "the CRL issuer has no subject key identifier");
  }
  ossl::Ptr<AUTHORITY_KEYID> akid(::AUTHORITY_KEYID_new());
  akid->keyid = ::ASN1_OCTET_STRING_dup(skid);
  if (akid->keyid == nullptr ||
      ::X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid.get(), 0, 0) != 1) {
    return ossl::OsslError("adding the authority key identifier");
  }
  if (!tmpl.distribution_point.empty()) {
    ANCHOR_TRY(AddIssuingDistributionPoint(crl, tmpl.distribution_point));
  }
  return OkStatus();
}

}  // namespace

Result<Crl> SignCrl(const CrlTemplate& tmpl, const Certificate& issuer,
                    const PrivateKey& issuer_key) {
  ossl::Ptr<X509_CRL> crl(::X509_CRL_new());
  if (!crl || ::X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      ::X509_CRL_set_issuer_name(crl.get(), ::X509_get_subject_name(internal::Native(issuer))) !=
          1) {
    return ossl::OsslError("X509_CRL_new");
  }
  ossl::Ptr<ASN1_TIME> this_update(
      ::ASN1_TIME_set(nullptr, static_cast<time_t>(UnixSeconds(tmpl.this_update))));
  ossl::Ptr<ASN1_TIME> next_update(
      ::ASN1_TIME_set(nullptr, static_cast<time_t>(UnixSeconds(tmpl.next_update))));
  if (!this_update || !next_update ||
      ::X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      ::X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return ossl::OsslError("setting the CRL times");
  }
  for (const RevokedEntry& entry : tmpl.entries) {
    ANCHOR_TRY(AddEntry(crl.get(), entry));
  }
  ::X509_CRL_sort(crl.get());
  ANCHOR_TRY(AddCrlExtensions(crl.get(), tmpl, issuer));
  if (::X509_CRL_sign(crl.get(), internal::Native(issuer_key),
                      internal::SigningDigest(issuer_key)) <= 0) {
    return ossl::OsslError("X509_CRL_sign");
  }
  // Round-trip through DER so the returned object holds the canonical, cached encoding.
  return Crl::FromDer(internal::I2d(::i2d_X509_CRL, crl.get()));
}

Result<Crl> Crl::FromDer(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<X509_CRL> crl, internal::D2iExact(::d2i_X509_CRL, der, "CRL"));
  return Crl(std::move(crl));
}

Result<Crl> Crl::Parse(std::string_view data) {
  if (!LooksLikePem(data)) {
    return FromDer(AsBytes(data));
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<PemBlock> blocks, ParsePemBlocks(data));
  for (const PemBlock& block : blocks) {
    if (block.label == "X509 CRL") {
      return FromDer(block.der);
    }
  }
  return Error(Code::kInvalidArgument, "no CRL found (expected -----BEGIN X509 CRL-----)");
}

std::vector<uint8_t> Crl::ToDer() const { return internal::I2d(::i2d_X509_CRL, crl_.get()); }

std::string Crl::ToPem() const { return crypto::ToPem("X509 CRL", ToDer()); }

std::string Crl::Issuer() const {
  return internal::NameToString(::X509_CRL_get_issuer(crl_.get()));
}

Clock::time_point Crl::ThisUpdate() const {
  return internal::AsnTimeToTimePoint(::X509_CRL_get0_lastUpdate(crl_.get()));
}

Clock::time_point Crl::NextUpdate() const {
  return internal::AsnTimeToTimePoint(::X509_CRL_get0_nextUpdate(crl_.get()));
}

int64_t Crl::Number() const {
  ossl::Ptr<ASN1_INTEGER> n(static_cast<ASN1_INTEGER*>(
      ::X509_CRL_get_ext_d2i(crl_.get(), NID_crl_number, nullptr, nullptr)));
  int64_t out = -1;
  if (!n || ::ASN1_INTEGER_get_int64(&out, n.get()) != 1) {
    ossl::ClearErrors();
    return -1;
  }
  return out;
}

std::vector<RevokedEntry> Crl::Entries() const {
  std::vector<RevokedEntry> out;
  STACK_OF(X509_REVOKED)* revoked = ::X509_CRL_get_REVOKED(crl_.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    RevokedEntry e;
    ossl::Ptr<BIGNUM> bn(::ASN1_INTEGER_to_BN(::X509_REVOKED_get0_serialNumber(r), nullptr));
    e.serial.resize(static_cast<size_t>(BN_num_bytes(bn.get())));
    ::BN_bn2bin(bn.get(), e.serial.data());
    e.revoked_at = internal::AsnTimeToTimePoint(::X509_REVOKED_get0_revocationDate(r));
    ossl::Ptr<ASN1_ENUMERATED> reason(static_cast<ASN1_ENUMERATED*>(
        ::X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr)));
    e.reason = reason ? static_cast<int>(::ASN1_ENUMERATED_get(reason.get())) : 0;
    out.push_back(std::move(e));
  }
  return out;
}

size_t Crl::EntryCount() const {
  const int n = sk_X509_REVOKED_num(::X509_CRL_get_REVOKED(crl_.get()));  // -1: no list at all
  return n > 0 ? static_cast<size_t>(n) : 0;
}

std::vector<std::string> Crl::IssuingDistributionPoints() const {
  std::vector<std::string> out;
  ossl::Ptr<ISSUING_DIST_POINT> idp(static_cast<ISSUING_DIST_POINT*>(
      ::X509_CRL_get_ext_d2i(crl_.get(), NID_issuing_distribution_point, nullptr, nullptr)));
  if (idp && idp->distpoint != nullptr && idp->distpoint->type == 0) {
    for (const GeneralName& n : internal::FromOpenssl(idp->distpoint->name.fullname, nullptr)) {
      out.push_back(n.value);
    }
  }
  return out;
}

std::string Crl::AuthorityKeyIdHex() const {
  ossl::Ptr<AUTHORITY_KEYID> akid(static_cast<AUTHORITY_KEYID*>(
      ::X509_CRL_get_ext_d2i(crl_.get(), NID_authority_key_identifier, nullptr, nullptr)));
  if (!akid || akid->keyid == nullptr) {
    return "";
  }
  return HexEncode({::ASN1_STRING_get0_data(akid->keyid),
                    static_cast<size_t>(::ASN1_STRING_length(akid->keyid))},
                   ':');
}

bool Crl::VerifySignedBy(const PublicKey& issuer) const {
  const bool ok = ::X509_CRL_verify(crl_.get(), internal::Native(issuer)) == 1;
  if (!ok) {
    ossl::ClearErrors();
  }
  return ok;
}

std::string_view ReasonName(int reason) {
  for (const auto& [code, name] : kReasons) {
    if (code == reason) {
      return name;
    }
  }
  return "unknown";
}

Result<int> ParseReason(std::string_view name) {
  for (const auto& [code, known] : kReasons) {
    if (ToLower(known) == ToLower(name)) {
      return code;
    }
  }
  return Error(Code::kInvalidArgument,
               "unknown revocation reason '" + std::string(name) +
                   "'; use unspecified, keyCompromise, cACompromise, affiliationChanged, "
                   "superseded, cessationOfOperation or privilegeWithdrawn");
}

}  // namespace anchor::crypto
