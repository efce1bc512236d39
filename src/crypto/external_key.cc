// SPDX-License-Identifier: Apache-2.0
// File: external_key.cc: an EC key whose signatures a KeySigner makes, as a "foreign" legacy
// EC_KEY.
//
// Why the deprecated EC_KEY_METHOD: OpenSSL 3.0 (Debian 12) has no provider for PKCS#11, and the
// TPM's provider cannot share a library context with TLS on a TPM without a resource manager
// (docs/ARCHITECTURE.md, "Keys in hardware"). An EVP_PKEY holding an EC_KEY whose method is not
// OpenSSL's own is marked foreign, and every signing call of OpenSSL 3.0 (X509_sign,
// X509_CRL_sign, OCSP_basic_sign, X509_REQ_sign, the TLS handshake) then signs through the
// method: the route libp11's engine takes. This file alone is built with the deprecated API.
#include "crypto/external_key.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <mutex>

#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

using SignerRef = std::shared_ptr<const KeySigner>;

// EcKeyFree is the deleter of the one deprecated type, kept out of ossl_ptr.h, which every layer
// builds without the deprecated API.
struct EcKeyFree {
  void operator()(EC_KEY* ec) const noexcept { ::EC_KEY_free(ec); }
};

// SignerIndex is the EC_KEY ex_data slot that holds a heap SignerRef; freed with the key, copied
// when OpenSSL duplicates one.
int SignerIndex() {
  static const int index = ::EC_KEY_get_ex_new_index(
      0, nullptr, nullptr,
      [](CRYPTO_EX_DATA*, const CRYPTO_EX_DATA*, void** from_d, int, long, void*) -> int {
        auto** slot = reinterpret_cast<SignerRef**>(from_d);
        if (*slot != nullptr) {
          *slot = new SignerRef(**slot);
        }
        return 1;
      },
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<SignerRef*>(ptr);
      });
  return index;
}

// KeyIndex is the EVP_PKEY ex_data slot that marks an external key with its signer (borrowed:
// the EC_KEY inside owns it), so that telling one apart costs a lookup, not the export of a
// legacy copy of every ordinary key it is asked about.
int KeyIndex() {
  static const int index = ::EVP_PKEY_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const KeySigner* SignerOf(const EC_KEY* ec) {
  const auto* ref = static_cast<const SignerRef*>(::EC_KEY_get_ex_data(ec, SignerIndex()));
  return ref == nullptr ? nullptr : ref->get();
}

// Sign runs the signer and leaves its Error on the OpenSSL queue when it fails.
Result<std::vector<uint8_t>> Sign(const unsigned char* dgst, int dlen, EC_KEY* ec) {
  const KeySigner* signer = SignerOf(ec);
  if (signer == nullptr || dlen <= 0) {
    return Error(Code::kInternal, "an external EC key lost its signer");
  }
  auto sig = signer->SignDigest(std::span<const uint8_t>(dgst, static_cast<size_t>(dlen)));
  if (!sig) {
    ossl::RaiseExternalKeyError(sig.error());
  }
  return sig;
}

ECDSA_SIG* SignSig(const unsigned char* dgst, int dlen, const BIGNUM*, const BIGNUM*, EC_KEY* ec) {
  auto der = Sign(dgst, dlen, ec);
  if (!der) {
    return nullptr;
  }
  const unsigned char* p = der->data();
  return ::d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size()));
}

int SignDer(int, const unsigned char* dgst, int dlen, unsigned char* sig, unsigned int* siglen,
            const BIGNUM*, const BIGNUM*, EC_KEY* ec) {
  auto der = Sign(dgst, dlen, ec);
  // ECDSA_size is the room OpenSSL gave `sig`.
  if (!der || der->size() > static_cast<size_t>(::ECDSA_size(ec))) {
    return 0;
  }
  std::copy(der->begin(), der->end(), sig);
  *siglen = static_cast<unsigned int>(der->size());
  return 1;
}

// Method is OpenSSL's EC method with signing replaced; verification and the rest stay OpenSSL's.
const EC_KEY_METHOD* Method() {
  static EC_KEY_METHOD* method = [] {
    EC_KEY_METHOD* m = ::EC_KEY_METHOD_new(::EC_KEY_OpenSSL());
    ::EC_KEY_METHOD_set_sign(m, SignDer, nullptr, SignSig);
    return m;
  }();
  return method;
}

}  // namespace

Result<PrivateKey> MakeExternalKey(const PublicKey& public_key, SignerRef signer) {
  EVP_PKEY* pub = internal::Native(public_key);
  if (::EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC) {
    return Error(Code::kUnimplemented, signer->Describe() + " holds a " + public_key.Description() +
                                           " key; anchor uses EC keys (P-256, P-384) in devices");
  }
  EC_KEY* ec = ::EVP_PKEY_get1_EC_KEY(pub);  // a legacy copy of the public key, ours to free
  if (ec == nullptr) {
    return ossl::OsslError("EVP_PKEY_get1_EC_KEY");
  }
  std::unique_ptr<EC_KEY, EcKeyFree> owned(ec);
  ossl::Ptr<EVP_PKEY> key(::EVP_PKEY_new());
  auto ref = std::make_unique<SignerRef>(std::move(signer));
  if (!key || ::EC_KEY_set_method(ec, Method()) != 1 ||
      ::EC_KEY_set_ex_data(ec, SignerIndex(), ref.get()) != 1) {
    return ossl::OsslError("external EC key");
  }
  const KeySigner* borrowed = ref->get();
  ref.release();  // the EC_KEY's ex_data frees it
  if (::EVP_PKEY_assign_EC_KEY(key.get(), ec) != 1) {
    return ossl::OsslError("EVP_PKEY_assign_EC_KEY");
  }
  owned.release();  // owned by `key` now
  if (::EVP_PKEY_set_ex_data(key.get(), KeyIndex(), const_cast<KeySigner*>(borrowed)) != 1) {
    return ossl::OsslError("EVP_PKEY_set_ex_data");
  }
  return internal::Handles::WrapPrivate(std::move(key));
}

const KeySigner* ExternalSigner(const PrivateKey& key) {
  return static_cast<const KeySigner*>(::EVP_PKEY_get_ex_data(internal::Native(key), KeyIndex()));
}

Result<std::vector<uint8_t>> EcdsaRawToDer(std::span<const uint8_t> raw) {
  if (raw.empty() || raw.size() % 2 != 0) {
    return Error(Code::kInternal,
                 "an ECDSA signature of " + std::to_string(raw.size()) + " bytes is not r || s");
  }
  const size_t half = raw.size() / 2;
  ossl::Ptr<ECDSA_SIG> sig(::ECDSA_SIG_new());
  ossl::Ptr<BIGNUM> r(::BN_bin2bn(raw.data(), static_cast<int>(half), nullptr));
  ossl::Ptr<BIGNUM> s(::BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr));
  if (!sig || !r || !s || ::ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return ossl::OsslError("ECDSA_SIG_set0");
  }
  r.release();  // owned by `sig` now
  s.release();
  unsigned char* der = nullptr;
  const int len = ::i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    return ossl::OsslError("i2d_ECDSA_SIG");
  }
  std::vector<uint8_t> out(der, der + len);
  ::OPENSSL_free(der);
  return out;
}

}  // namespace anchor::crypto
