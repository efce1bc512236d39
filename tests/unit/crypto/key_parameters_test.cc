// SPDX-License-Identifier: Apache-2.0
#include "crypto/key_parameters.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/internal/handles.h"  // keys of kinds anchor never makes, made with OpenSSL
#include "crypto/ossl_ptr.h"
#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::IsOk;

PublicKey Make(EVP_PKEY* raw) {
  PrivateKey key = PrivateKey::FromPem([&] {
                     // Round-trip through PKCS#8 so the key is owned by anchor's types only.
                     ossl::Ptr<EVP_PKEY> owned(raw);
                     ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
                     ::PEM_write_bio_PKCS8PrivateKey(bio.get(), owned.get(), nullptr, nullptr, 0,
                                                     nullptr, nullptr);
                     char* data = nullptr;
                     const long n = ::BIO_get_mem_data(bio.get(), &data);
                     return std::string(data, static_cast<size_t>(n));
                   }())
                       .value();
  return key.Public();
}

TEST(KeyParametersTest, EveryKeyTypeAnchorMakesPasses) {
  for (const KeyType type : AllKeyTypes()) {
    EXPECT_THAT(CheckKeyParameters(PrivateKey::Generate(type).value().Public()), IsOk())
        << KeyTypeName(type);
  }
}

TEST(KeyParametersTest, WellFormedKeysPolicyRefusesStillPass) {
  // Parameters are about whether a signature proves anything; which types are issued for is
  // policy's (it names the allowed types), so these pass here and are refused there.
  EXPECT_THAT(CheckKeyParameters(Make(::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"))),
              IsOk());
  EXPECT_THAT(CheckKeyParameters(Make(::EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"))), IsOk());
  EXPECT_THAT(CheckKeyParameters(Make(::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}))),
              IsOk());
}

TEST(KeyParametersTest, AnEmptyKeyIsRefused) {
  EXPECT_THAT(CheckKeyParameters(internal::BorrowPublicKey(nullptr)),
              testing::ErrorIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace anchor::crypto
