// SPDX-License-Identifier: Apache-2.0
// File: chain_verifier.cc: VerifyOptions to an X509_STORE_CTX, and its outcome to a verdict.
#include "crypto/chain_verifier.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <string_view>

#include "crypto/general_name.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

// FailureIdFor is the one table from OpenSSL's X509_V_ERR_* codes to anchor's failure ids. The
// ids are what callers and tests rely on, so a code OpenSSL adds later falls to kOtherFailure
// until it is listed here, and an id never changes meaning.
struct FailureIdFor {
  int code;
  std::string_view id;
};

constexpr std::string_view kOtherFailure = "chain-invalid";

constexpr FailureIdFor kFailureIds[] = {
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3
    //# (2)  The certificate validity period includes the current time.
    {X509_V_ERR_CERT_HAS_EXPIRED, "certificate-expired"},
    {X509_V_ERR_CERT_NOT_YET_VALID, "certificate-not-yet-valid"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3
    //# (4)  The certificate issuer name is the working_issuer_name.
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "unknown-issuer"},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "unknown-issuer"},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "unknown-issuer"},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed-not-trusted"},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "self-signed-not-trusted"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3
    //# (1)  The signature on the certificate can be verified using
    //# working_public_key_algorithm, the working_public_key, and the
    //# working_public_key_parameters.
    {X509_V_ERR_CERT_SIGNATURE_FAILURE, "bad-signature"},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, "bad-signature"},
    {X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, "bad-signature"},
    {X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH, "bad-signature"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3
    //# (b)  If certificate i is self-issued and it is not the final
    //# certificate in the path, skip this step for certificate i.
    //# Otherwise, verify that the subject name is within one of the
    //# permitted_subtrees for X.500 distinguished names, and verify that
    //# each of the alternative names in the subjectAltName extension
    //# (critical or non-critical) is within one of the permitted_subtrees
    //# for that name type.
    {X509_V_ERR_PERMITTED_VIOLATION, "name-constraints-violation"},
    {X509_V_ERR_EXCLUDED_VIOLATION, "name-constraints-violation"},
    {X509_V_ERR_SUBTREE_MINMAX, "name-constraints-violation"},
    {X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, "name-constraints-violation"},
    {X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX, "name-constraints-violation"},
    {X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, "name-constraints-violation"},
    {X509_V_ERR_INVALID_PURPOSE, "unsuitable-purpose"},
    {X509_V_ERR_HOSTNAME_MISMATCH, "hostname-mismatch"},
    {X509_V_ERR_IP_ADDRESS_MISMATCH, "ip-address-mismatch"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3
    //# (3)  At the current time, the certificate is not revoked.
    {X509_V_ERR_CERT_REVOKED, "certificate-revoked"},
    {X509_V_ERR_UNABLE_TO_GET_CRL, "crl-missing"},
    {X509_V_ERR_CRL_HAS_EXPIRED, "crl-expired"},
    {X509_V_ERR_CRL_NOT_YET_VALID, "crl-not-yet-valid"},
    {X509_V_ERR_CRL_SIGNATURE_FAILURE, "crl-invalid"},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, "crl-invalid"},
    {X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, "crl-invalid"},
    {X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, "crl-invalid"},
    {X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, "crl-invalid"},
    {X509_V_ERR_DIFFERENT_CRL_SCOPE, "crl-invalid"},
    {X509_V_ERR_CRL_PATH_VALIDATION_ERROR, "crl-invalid"},
    {X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, "crl-invalid"},
    {X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, "crl-invalid"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.4
    //# (l)  If the certificate was not self-issued, verify that
    //# max_path_length is greater than zero and decrement
    //# max_path_length by 1.
    {X509_V_ERR_PATH_LENGTH_EXCEEDED, "path-too-long"},
    {X509_V_ERR_CERT_CHAIN_TOO_LONG, "path-too-long"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.4
    //# (k)  If certificate i is a version 3 certificate, verify that the
    //# basicConstraints extension is present and that cA is set to
    //# TRUE.
    {X509_V_ERR_INVALID_CA, "invalid-ca"},
    //= https://www.rfc-editor.org/rfc/rfc5280#section-6.1.4
    //# (n)  If a key usage extension is present, verify that the
    //# keyCertSign bit is set.
    {X509_V_ERR_KEYUSAGE_NO_CERTSIGN, "invalid-ca"},
    {X509_V_ERR_INVALID_EXTENSION, "invalid-extension"},
    {X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, "invalid-extension"},
    {X509_V_ERR_INVALID_POLICY_EXTENSION, "invalid-extension"},
    // What X509_V_FLAG_X509_STRICT adds: RFC 5280 profile rules for the issuing CA, which a
    // lenient verifier lets through.
    {X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA, "strict-violation"},
    {X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN, "strict-violation"},
    {X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA, "strict-violation"},
    {X509_V_ERR_ISSUER_NAME_EMPTY, "strict-violation"},
    {X509_V_ERR_SUBJECT_NAME_EMPTY, "strict-violation"},
    {X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER, "strict-violation"},
    {X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER, "strict-violation"},
    {X509_V_ERR_EMPTY_SUBJECT_ALT_NAME, "strict-violation"},
    {X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL, "strict-violation"},
    {X509_V_ERR_CA_BCONS_NOT_CRITICAL, "strict-violation"},
    {X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL, "strict-violation"},
    {X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL, "strict-violation"},
    {X509_V_ERR_CA_CERT_MISSING_KEY_USAGE, "strict-violation"},
    {X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3, "strict-violation"},
    {X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, "strict-violation"},
    {X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY, "strict-violation"},
};

std::string_view FailureId(int code) {
  for (const FailureIdFor& entry : kFailureIds) {
    if (entry.code == code) {
      return entry.id;
    }
  }
  return kOtherFailure;
}

Result<ossl::Ptr<STACK_OF(X509)>> ToStack(const std::vector<Certificate>& certs) {
  ossl::Ptr<STACK_OF(X509)> stack(sk_X509_new_null());
  if (!stack) {
    return ossl::OsslError("sk_X509_new_null");
  }
  for (const Certificate& c : certs) {
    ossl::Ptr<X509> ref = ossl::UpRef(internal::Native(c));
    if (sk_X509_push(stack.get(), ref.get()) == 0) {
      return ossl::OsslError("sk_X509_push");
    }
    ref.release();  // the stack owns it now, and only because the push succeeded
  }
  return stack;
}

Status ConfigureParams(X509_VERIFY_PARAM* param, const VerifyOptions& options) {
  unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;  // an intermediate may be the trust anchor
  if (options.strict) {
    flags |= X509_V_FLAG_X509_STRICT;
  }
  if (!options.crls.empty()) {
    flags |= X509_V_FLAG_CRL_CHECK;
  }
  ::X509_VERIFY_PARAM_set_flags(param, flags);
  if (options.at) {
    ::X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(UnixSeconds(*options.at)));
  }
  if (options.purpose != Purpose::kAny &&
      ::X509_VERIFY_PARAM_set_purpose(param, options.purpose == Purpose::kServer
                                                 ? X509_PURPOSE_SSL_SERVER
                                                 : X509_PURPOSE_SSL_CLIENT) != 1) {
    return ossl::OsslError("X509_VERIFY_PARAM_set_purpose");
  }
  if (options.host.empty()) {
    return OkStatus();
  }
  const int ok = IsIpAddress(options.host)
                     ? ::X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str())
                     : ::X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
  if (ok != 1) {
    return ossl::OsslError("'" + options.host + "' is not a valid host name",
                           Code::kInvalidArgument);
  }
  return OkStatus();
}

// FailureOf reads why `ctx` did not verify. The error queue is dropped: the verdict is the
// context's error code, and whatever OpenSSL queued on the way says nothing more.
ChainFailure FailureOf(X509_STORE_CTX* ctx) {
  const int code = ::X509_STORE_CTX_get_error(ctx);
  ChainFailure failure;
  failure.id = std::string(FailureId(code));
  failure.depth = ::X509_STORE_CTX_get_error_depth(ctx);
  if (X509* at = ::X509_STORE_CTX_get_current_cert(ctx); at != nullptr) {
    failure.subject = internal::BorrowCertificate(at).Subject();
  }
  failure.reason = ::X509_verify_cert_error_string(code);
  ossl::ClearErrors();
  return failure;
}

std::vector<Certificate> VerifiedChainOf(X509_STORE_CTX* ctx) {
  std::vector<Certificate> chain;
  STACK_OF(X509)* verified = ::X509_STORE_CTX_get0_chain(ctx);
  for (int i = 0; i < sk_X509_num(verified); ++i) {
    chain.push_back(internal::BorrowCertificate(sk_X509_value(verified, i)));
  }
  return chain;
}

}  // namespace

std::string ChainFailure::Message() const {
  return reason + " (depth " + std::to_string(depth) + ": " +
         (subject.empty() ? "the certificate" : subject) + ")";
}

Result<ChainVerdict> ValidatePath(const Certificate& leaf, const VerifyOptions& options) {
  if (options.trusted.empty()) {
    return Error(Code::kInvalidArgument, "no trusted CA certificate given");
  }
  ossl::Ptr<X509_STORE> store(::X509_STORE_new());
  if (!store) {
    return ossl::OsslError("X509_STORE_new");
  }
  for (const Certificate& c : options.trusted) {
    if (::X509_STORE_add_cert(store.get(), internal::Native(c)) != 1) {
      return ossl::OsslError("X509_STORE_add_cert");
    }
  }
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<STACK_OF(X509)> untrusted, ToStack(options.untrusted));
  ossl::Ptr<STACK_OF(X509_CRL)> crls(sk_X509_CRL_new_null());
  for (const Crl& crl : options.crls) {
    if (::X509_CRL_up_ref(internal::Native(crl)) != 1 ||
        sk_X509_CRL_push(crls.get(), internal::Native(crl)) == 0) {
      return ossl::OsslError("sk_X509_CRL_push");
    }
  }
  ossl::Ptr<X509_STORE_CTX> ctx(::X509_STORE_CTX_new());
  if (!ctx ||
      ::X509_STORE_CTX_init(ctx.get(), store.get(), internal::Native(leaf), untrusted.get()) != 1) {
    return ossl::OsslError("X509_STORE_CTX_init");
  }
  ::X509_STORE_CTX_set0_crls(ctx.get(), crls.get());
  ANCHOR_TRY(ConfigureParams(::X509_STORE_CTX_get0_param(ctx.get()), options));
  if (::X509_verify_cert(ctx.get()) != 1) {
    return ChainVerdict{{}, FailureOf(ctx.get())};
  }
  return ChainVerdict{VerifiedChainOf(ctx.get()), std::nullopt};
}

namespace {

// CriticalExtensionsUnderstood is true when the only critical extension of `crl` is its
// issuingDistributionPoint, which anchor writes critical and relying parties process.
//= https://www.rfc-editor.org/rfc/rfc5280#section-5.2
//# If a CRL contains a critical extension that the application cannot process, then the
//# application MUST NOT use that CRL to determine the status of certificates.
bool CriticalExtensionsUnderstood(const X509_CRL* crl) {
  for (int i = 0; i < ::X509_CRL_get_ext_count(crl); ++i) {
    const X509_EXTENSION* ext = ::X509_CRL_get_ext(crl, i);
    if (::X509_EXTENSION_get_critical(ext) != 0 &&
        ::OBJ_obj2nid(::X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext))) !=
            NID_issuing_distribution_point) {
      return false;
    }
  }
  return true;
}

Error CrlFailure(std::string_view why) {
  return Error(Code::kInvalidArgument, "CRL check failed: " + std::string(why));
}

}  // namespace

Status VerifyCrl(const Crl& crl, const Certificate& issuer, const VerifyOptions& options) {
  VerifyOptions path{options.trusted, options.untrusted};
  path.at = options.at;
  path.strict = options.strict;
  //= https://www.rfc-editor.org/rfc/rfc5280#section-6.3.3
  //# (f)  Obtain and validate the certification path for the issuer of the complete CRL.
  ANCHOR_ASSIGN_OR_RETURN(const ChainVerdict verdict, ValidatePath(issuer, path));
  if (!verdict.Ok()) {
    return CrlFailure("its issuer does not verify: " + verdict.failure->Message());
  }
  X509_CRL* x = internal::Native(crl);
  X509* ca = internal::Native(issuer);
  //# If a key usage extension is present in the CRL issuer's certificate, verify that the
  //# cRLSign bit is set.
  if ((::X509_get_extension_flags(ca) & EXFLAG_KUSAGE) != 0 &&
      (::X509_get_key_usage(ca) & KU_CRL_SIGN) == 0) {
    return CrlFailure("its issuer " + issuer.Subject() + " may not sign CRLs (no cRLSign)");
  }
  if (::X509_NAME_cmp(::X509_CRL_get_issuer(x), ::X509_get_subject_name(ca)) != 0) {
    return CrlFailure("it names " + crl.Issuer() + " as its issuer, not " + issuer.Subject());
  }
  const std::string akid = crl.AuthorityKeyIdHex();
  const std::string skid = issuer.SubjectKeyIdHex();
  if (!akid.empty() && !skid.empty() && akid != skid) {
    return CrlFailure("its authority key identifier is not its issuer's key identifier");
  }
  //= https://www.rfc-editor.org/rfc/rfc5280#section-6.3.3
  //# (g)  Validate the signature on the complete CRL using the public key validated in step (f).
  if (!crl.VerifySignedBy(issuer.GetPublicKey())) {
    return CrlFailure("its signature does not verify with the key of " + issuer.Subject());
  }
  if (::X509_CRL_get_version(x) != X509_CRL_VERSION_2 || crl.Number() < 0) {
    return CrlFailure("it is not a v2 CRL with a cRLNumber");
  }
  time_t at = options.at ? static_cast<time_t>(UnixSeconds(*options.at)) : ::time(nullptr);
  const ASN1_TIME* next = ::X509_CRL_get0_nextUpdate(x);
  // X509_cmp_time: -1 when the time is at or before `at`, 1 when after, 0 on error.
  if (::X509_cmp_time(::X509_CRL_get0_lastUpdate(x), &at) != -1) {
    return CrlFailure("its thisUpdate is later than the time it is checked at");
  }
  if (next == nullptr || ::X509_cmp_time(next, &at) != 1) {
    return CrlFailure("its nextUpdate has passed (or it has none)");
  }
  if (!CriticalExtensionsUnderstood(x)) {
    return CrlFailure("it carries a critical extension other than issuingDistributionPoint");
  }
  return OkStatus();
}

Result<std::vector<Certificate>> VerifyChain(const Certificate& leaf,
                                             const VerifyOptions& options) {
  ANCHOR_ASSIGN_OR_RETURN(ChainVerdict verdict, ValidatePath(leaf, options));
  if (!verdict.Ok()) {
    return Error(Code::kInvalidArgument, verdict.failure->Message());
  }
  return std::move(verdict.chain);
}

}  // namespace anchor::crypto
