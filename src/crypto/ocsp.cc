// SPDX-License-Identifier: Apache-2.0
// File: ocsp.cc: OCSP request parsing and response signing.
#include "crypto/ocsp.h"

#include <openssl/x509v3.h>

#include "crypto/internal/der.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

const OCSP_CERTID* EntryId(OCSP_REQUEST* req, size_t i) {
  return ::OCSP_onereq_get0_id(::OCSP_request_onereq_get0(req, static_cast<int>(i)));
}

ossl::Ptr<ASN1_STRING> Time(Clock::time_point t) {
  return ossl::Ptr<ASN1_STRING>(
      ::ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(UnixSeconds(t))));
}

}  // namespace

Result<OcspRequest> OcspRequest::FromDer(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<OCSP_REQUEST> req,
                          internal::D2iExact(::d2i_OCSP_REQUEST, der, "OCSP request"));
  if (::OCSP_request_onereq_count(req.get()) < 1) {
    return Error(Code::kInvalidArgument, "the OCSP request asks about no certificate");
  }
  return OcspRequest(std::move(req));
}

size_t OcspRequest::Count() const {
  return static_cast<size_t>(::OCSP_request_onereq_count(req_.get()));
}

std::vector<uint8_t> OcspRequest::SerialAt(size_t i) const {
  ASN1_INTEGER* serial = nullptr;
  ::OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial,
                      const_cast<OCSP_CERTID*>(EntryId(req_.get(), i)));
  ossl::Ptr<BIGNUM> bn(::ASN1_INTEGER_to_BN(serial, nullptr));
  std::vector<uint8_t> out(bn ? static_cast<size_t>(BN_num_bytes(bn.get())) : 0);
  if (bn) {
    ::BN_bn2bin(bn.get(), out.data());
  }
  return out;
}

bool OcspRequest::IssuedBy(size_t i, const Certificate& issuer) const {
  OCSP_CERTID* id = const_cast<OCSP_CERTID*>(EntryId(req_.get(), i));
  ASN1_OBJECT* md_oid = nullptr;
  ::OCSP_id_get0_info(nullptr, &md_oid, nullptr, nullptr, id);
  const EVP_MD* md = ::EVP_get_digestbyobj(md_oid);
  if (md == nullptr) {
    ossl::ClearErrors();
    return false;
  }
  OCSP_CERTID* mine = ::OCSP_cert_id_new(md, ::X509_get_subject_name(internal::Native(issuer)),
                                         ::X509_get0_pubkey_bitstr(internal::Native(issuer)),
                                         ::X509_get0_serialNumber(internal::Native(issuer)));
  const bool same = mine != nullptr && ::OCSP_id_issuer_cmp(mine, id) == 0;
  ::OCSP_CERTID_free(mine);
  ossl::ClearErrors();
  return same;
}

std::vector<uint8_t> OcspRequest::CertIdDer(size_t i) const {
  return internal::I2d(::i2d_OCSP_CERTID, EntryId(req_.get(), i));
}

bool OcspRequest::HasNonce() const {
  return ::OCSP_REQUEST_get_ext_by_NID(req_.get(), NID_id_pkix_OCSP_Nonce, -1) >= 0;
}

Result<std::vector<uint8_t>> SignOcspResponse(const OcspRequest& request,
                                              const std::vector<OcspCertStatus>& statuses,
                                              const Certificate& signer, const PrivateKey& key,
                                              Clock::time_point this_update,
                                              Clock::time_point next_update) {
  if (statuses.size() != request.Count()) {
    return Error(Code::kInternal, "one OCSP status per request entry is needed");
  }
  ossl::Ptr<OCSP_BASICRESP> basic(::OCSP_BASICRESP_new());
  auto this_time = Time(this_update);
  auto next_time = Time(next_update);
  if (!basic || !this_time || !next_time) {
    return ossl::OsslError("OCSP_BASICRESP_new");
  }
  for (size_t i = 0; i < statuses.size(); ++i) {
    const OcspCertStatus& st = statuses[i];
    const int kind = st.kind == OcspCertStatus::Kind::kGood      ? V_OCSP_CERTSTATUS_GOOD
                     : st.kind == OcspCertStatus::Kind::kRevoked ? V_OCSP_CERTSTATUS_REVOKED
                                                                 : V_OCSP_CERTSTATUS_UNKNOWN;
    auto revoked_time = Time(st.revoked_at);
    // OCSP_basic_add1_status copies the CertID of the request, so the answer names exactly
    // what was asked.
    if (::OCSP_basic_add1_status(basic.get(),
                                 const_cast<OCSP_CERTID*>(EntryId(internal::Native(request), i)),
                                 kind, st.reason == 0 ? -1 : st.reason,
                                 kind == V_OCSP_CERTSTATUS_REVOKED ? revoked_time.get() : nullptr,
                                 this_time.get(), next_time.get()) == nullptr) {
      return ossl::OsslError("OCSP_basic_add1_status");
    }
  }
  //= https://www.rfc-editor.org/rfc/rfc6960#section-4.4.1
  //# The nonce cryptographically binds a request and a response to prevent replay attacks.
  if (::OCSP_copy_nonce(basic.get(), internal::Native(request)) <= 0) {
    return ossl::OsslError("OCSP_copy_nonce");
  }
  if (::OCSP_basic_sign(basic.get(), internal::Native(signer), internal::Native(key),
                        internal::SigningDigest(key), nullptr, 0) != 1) {
    return ossl::OsslError("OCSP_basic_sign");
  }
  ossl::Ptr<OCSP_RESPONSE> resp(
      ::OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!resp) {
    return ossl::OsslError("OCSP_response_create");
  }
  return internal::I2d(::i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(resp.get()));
}

// The enum's values are RFC 6960's, which are OpenSSL's OCSP_RESPONSE_STATUS_* too.
static_assert(static_cast<int>(OcspErrorStatus::kMalformedRequest) ==
              OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
static_assert(static_cast<int>(OcspErrorStatus::kInternalError) ==
              OCSP_RESPONSE_STATUS_INTERNALERROR);
static_assert(static_cast<int>(OcspErrorStatus::kTryLater) == OCSP_RESPONSE_STATUS_TRYLATER);
static_assert(static_cast<int>(OcspErrorStatus::kSigRequired) == OCSP_RESPONSE_STATUS_SIGREQUIRED);
static_assert(static_cast<int>(OcspErrorStatus::kUnauthorized) ==
              OCSP_RESPONSE_STATUS_UNAUTHORIZED);

std::vector<uint8_t> OcspErrorResponse(OcspErrorStatus status) {
  ossl::Ptr<OCSP_RESPONSE> resp(::OCSP_response_create(static_cast<int>(status), nullptr));
  ANCHOR_CHECK(resp != nullptr);
  return internal::I2d(::i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(resp.get()));
}

}  // namespace anchor::crypto
