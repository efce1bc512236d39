// SPDX-License-Identifier: Apache-2.0
// File: chain_verifier.cc: VerifyOptions to an X509_STORE_CTX and back.
#include "crypto/chain_verifier.h"

#include <openssl/x509_vfy.h>

#include "crypto/general_name.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

Result<ossl::Ptr<STACK_OF(X509)>> ToStack(const std::vector<Certificate>& certs) {
  ossl::Ptr<STACK_OF(X509)> stack(sk_X509_new_null());
  if (!stack) {
    return ossl::OsslError("sk_X509_new_null");
  }
  for (const Certificate& c : certs) {
    ossl::Ptr<X509> ref = ossl::UpRef(c.Native());
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

}  // namespace

Result<std::vector<Certificate>> VerifyChain(const Certificate& leaf,
                                             const VerifyOptions& options) {
  if (options.trusted.empty()) {
    return Error(Code::kInvalidArgument, "no trusted CA certificate given");
  }
  ossl::Ptr<X509_STORE> store(::X509_STORE_new());
  if (!store) {
    return ossl::OsslError("X509_STORE_new");
  }
  for (const Certificate& c : options.trusted) {
    if (::X509_STORE_add_cert(store.get(), c.Native()) != 1) {
      return ossl::OsslError("X509_STORE_add_cert");
    }
  }
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<STACK_OF(X509)> untrusted, ToStack(options.untrusted));
  ossl::Ptr<STACK_OF(X509_CRL)> crls(sk_X509_CRL_new_null());
  for (const Crl& crl : options.crls) {
    if (::X509_CRL_up_ref(crl.Native()) != 1 || sk_X509_CRL_push(crls.get(), crl.Native()) == 0) {
      return ossl::OsslError("sk_X509_CRL_push");
    }
  }
  ossl::Ptr<X509_STORE_CTX> ctx(::X509_STORE_CTX_new());
  if (!ctx || ::X509_STORE_CTX_init(ctx.get(), store.get(), leaf.Native(), untrusted.get()) != 1) {
    return ossl::OsslError("X509_STORE_CTX_init");
  }
  ::X509_STORE_CTX_set0_crls(ctx.get(), crls.get());
  ANCHOR_TRY(ConfigureParams(::X509_STORE_CTX_get0_param(ctx.get()), options));
  if (::X509_verify_cert(ctx.get()) != 1) {
    const int err = ::X509_STORE_CTX_get_error(ctx.get());
    const int depth = ::X509_STORE_CTX_get_error_depth(ctx.get());
    X509* at = ::X509_STORE_CTX_get_current_cert(ctx.get());
    std::string who = at != nullptr ? Certificate::Borrow(at).Subject() : "the certificate";
    ossl::ClearErrors();
    return Error(Code::kInvalidArgument, std::string(::X509_verify_cert_error_string(err)) +
                                             " (depth " + std::to_string(depth) + ": " + who + ")");
  }
  std::vector<Certificate> chain;
  STACK_OF(X509)* verified = ::X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(verified); ++i) {
    chain.push_back(Certificate::Borrow(sk_X509_value(verified, i)));
  }
  return chain;
}

}  // namespace anchor::crypto
