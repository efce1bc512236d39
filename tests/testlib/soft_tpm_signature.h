// SPDX-License-Identifier: Apache-2.0
// File: soft_tpm_signature.h: what a forger without a TPM makes of a TPM signature: an ECDSA
// P-256 signature over SHA-256 by a key in software, as a marshalled TPMT_SIGNATURE (TPM 2.0 Part
// 2 11.3.4), built with OpenSSL and libtss2-mu rather than with the code under test.
#pragma once

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/internal/handles.h"
#include "crypto/key.h"
#include "crypto/ossl_ptr.h"

namespace anchor::testing {

// SoftTpmSignature signs `message` with `key` (ec-p256) and marshals the signature as a TPM
// would; an empty vector (and a test failure) when OpenSSL or libtss2-mu fails.
inline std::vector<uint8_t> SoftTpmSignature(const crypto::PrivateKey& key,
                                             std::span<const uint8_t> message) {
  ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
  size_t len = 0;
  if (::EVP_DigestSignInit(ctx.get(), nullptr, ::EVP_sha256(), nullptr,
                           crypto::internal::Native(key)) != 1 ||
      ::EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    ADD_FAILURE() << "EVP_DigestSign";
    return {};
  }
  std::vector<uint8_t> der(len);
  if (::EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1) {
    ADD_FAILURE() << "EVP_DigestSign";
    return {};
  }
  const unsigned char* p = der.data();
  ossl::Ptr<ECDSA_SIG> sig(::d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) {
    ADD_FAILURE() << "d2i_ECDSA_SIG";
    return {};
  }
  TPMT_SIGNATURE s{};
  s.sigAlg = TPM2_ALG_ECDSA;
  s.signature.ecdsa.hash = TPM2_ALG_SHA256;
  s.signature.ecdsa.signatureR.size = static_cast<UINT16>(
      ::BN_bn2binpad(::ECDSA_SIG_get0_r(sig.get()), s.signature.ecdsa.signatureR.buffer, 32));
  s.signature.ecdsa.signatureS.size = static_cast<UINT16>(
      ::BN_bn2binpad(::ECDSA_SIG_get0_s(sig.get()), s.signature.ecdsa.signatureS.buffer, 32));
  std::vector<uint8_t> bytes(sizeof s);
  size_t offset = 0;
  if (::Tss2_MU_TPMT_SIGNATURE_Marshal(&s, bytes.data(), bytes.size(), &offset) != 0) {
    ADD_FAILURE() << "Tss2_MU_TPMT_SIGNATURE_Marshal";
    return {};
  }
  bytes.resize(offset);
  return bytes;
}

}  // namespace anchor::testing
