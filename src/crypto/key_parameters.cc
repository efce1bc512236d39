// SPDX-License-Identifier: Apache-2.0
// File: key_parameters.cc: key sanity checks before proof of possession.
#include "crypto/key_parameters.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"
#include "crypto/ossl_ptr.h"

namespace anchor::crypto {
namespace {

// kMinRsaExponent is NIST SP 800-56B Rev. 2, 6.2.1's lower bound on e. Its upper bound, 2^256,
// is far above what verifiers take: Go refuses to parse an exponent of 2^31 or more, and
// Windows CryptoAPI holds e in 32 bits, so e must be below 2^31 (31 bits at most).
constexpr unsigned long kMinRsaExponent = 65537;
constexpr int kMaxRsaExponentBits = 31;

Error Bad(const std::string& why) { return Error(Code::kInvalidArgument, why); }

std::string Utf8Param(EVP_PKEY* key, const char* name) {
  char buf[80] = {0};
  size_t len = 0;
  if (::EVP_PKEY_get_utf8_string_param(key, name, buf, sizeof buf, &len) != 1) {
    ossl::ClearErrors();
    return "";
  }
  return std::string(buf, len);
}

Status CheckRsa(EVP_PKEY* key) {
  BIGNUM* n_raw = nullptr;
  BIGNUM* e_raw = nullptr;
  const bool got = ::EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw) == 1 &&
                   ::EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw) == 1;
  ossl::Ptr<BIGNUM> n(n_raw), e(e_raw);
  if (!got) {
    return ossl::OsslError("the RSA key has no modulus or exponent", Code::kInvalidArgument);
  }
  const int bits = ::BN_num_bits(n.get());
  if (bits > kMaxRsaModulusBits) {
    return Bad("the RSA modulus has " + std::to_string(bits) + " bits, more than anchor accepts (" +
               std::to_string(kMaxRsaModulusBits) + ")");
  }
  if (!::BN_is_odd(n.get())) {
    return Bad("the RSA modulus is even, so the key is not an RSA key");
  }
  if (!::BN_is_odd(e.get())) {
    return Bad("the RSA public exponent is even, so the key is not an RSA key");
  }
  if (::BN_num_bits(e.get()) > kMaxRsaExponentBits) {
    return Bad("the RSA public exponent has " + std::to_string(::BN_num_bits(e.get())) +
               " bits; it must be below 2^31 (Go and Windows cannot use a larger one)");
  }
  //= NIST SP 800-56B Rev. 2, 6.2.1: 65537 <= e < 2^256
  if (::BN_num_bits(e.get()) <= 32 && ::BN_get_word(e.get()) < kMinRsaExponent) {
    const unsigned long value = ::BN_get_word(e.get());
    return Bad("the RSA public exponent " + std::to_string(value) + " is too small (at least " +
               std::to_string(kMinRsaExponent) + ")" +
               (value == 1 ? ": with e = 1 a signature proves nothing" : ""));
  }
  return OkStatus();
}

Status CheckEc(EVP_PKEY* key) {
  //= https://www.rfc-editor.org/rfc/rfc5480#section-2.1.1
  //# specifiedCurve, which is of type SpecifiedECDomain type (defined in [X9.62]), allows all of
  //# the elliptic curve domain parameters to be explicitly specified.  This choice MUST NOT be
  //# used.
  if (Utf8Param(key, OSSL_PKEY_PARAM_EC_ENCODING) == OSSL_PKEY_EC_ENCODING_EXPLICIT) {
    return Bad(
        "the EC key spells out its curve parameters; only named curves are accepted "
        "(RFC 5480)");
  }
  //= https://www.rfc-editor.org/rfc/rfc5480#section-2.2
  //# The uncompressed form MUST be supported.  The hybrid form MUST NOT be used.  The
  //# compressed form MAY be supported.
  // Go's crypto/x509 reads the uncompressed form only: a certificate with another cannot be
  // parsed there at all, so only the uncompressed form is accepted.
  if (const std::string form = Utf8Param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT);
      !form.empty() && form != OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) {
    return Bad("the EC public key is in " + form +
               " form, which Go and others cannot read; send it uncompressed (openssl ec "
               "-conv_form uncompressed)");
  }
  const std::string group = Utf8Param(key, OSSL_PKEY_PARAM_GROUP_NAME);
  if (group.empty()) {
    return Bad("the EC key names no curve that anchor knows");
  }
  ossl::Ptr<EVP_PKEY_CTX> ctx(::EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || ::EVP_PKEY_public_check_quick(ctx.get()) != 1) {
    ossl::ClearErrors();
    return Bad("the EC public key is not a valid point on " + group);
  }
  return OkStatus();
}

}  // namespace

Status CheckKeyParameters(const PublicKey& key) {
  EVP_PKEY* native = internal::Native(key);
  if (native == nullptr) {
    return Bad("the public key cannot be read (an unknown algorithm, or damaged parameters)");
  }
  switch (::EVP_PKEY_get_base_id(native)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return CheckRsa(native);
    case EVP_PKEY_EC:
      return CheckEc(native);
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return OkStatus();
    case EVP_PKEY_X25519:
    case EVP_PKEY_X448:
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX:
      return Bad("the key (" + key.Description() +
                 ") is for key agreement and cannot sign; use ec-p256, ec-p384, ed25519 or "
                 "rsa-2048..4096");
    default:
      return Bad("anchor does not accept " + key.Description() +
                 " keys; use ec-p256, ec-p384, ed25519 or rsa-2048..4096");
  }
}

}  // namespace anchor::crypto
