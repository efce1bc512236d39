// SPDX-License-Identifier: Apache-2.0
// Every public crypto/ header, included before anything else: none may bring in an OpenSSL
// header, so a layer above crypto/ cannot use an OpenSSL type by accident (docs/ARCHITECTURE.md,
// "OpenSSL stays in crypto/"). ossl_ptr.h and internal/ are not public and are left out.
#include "crypto/base64.h"
#include "crypto/cert_builder.h"
#include "crypto/certificate.h"
#include "crypto/chain_verifier.h"
#include "crypto/crl.h"
#include "crypto/crypto_rng.h"
#include "crypto/csr.h"
#include "crypto/digest.h"
#include "crypto/general_name.h"
#include "crypto/key.h"
#include "crypto/key_file.h"
#include "crypto/key_parameters.h"
#include "crypto/ocsp.h"
#include "crypto/ossl_error.h"
#include "crypto/ossl_fwd.h"
#include "crypto/pem.h"
#include "crypto/pkcs7.h"
#include "crypto/tls_identity.h"
#include "crypto/tpm2_key.h"
#include "crypto/tpm_attestation.h"
#include "crypto/tpm_attestor.h"

// Every OpenSSL header includes <openssl/e_os2.h> or <openssl/types.h>.
#if defined(OPENSSL_E_OS2_H) || defined(OPENSSL_TYPES_H)
#error "a public crypto/ header includes an OpenSSL header"
#endif

#include <gtest/gtest.h>

#include <type_traits>

namespace anchor::crypto {
namespace {

// The values stay values where OpenSSL's headers are not included: copied, moved, destroyed.
static_assert(std::is_copy_constructible_v<Certificate> && std::is_copy_assignable_v<Certificate>);
static_assert(std::is_nothrow_move_constructible_v<Certificate>);
static_assert(std::is_copy_constructible_v<PublicKey> && std::is_copy_constructible_v<PrivateKey>);
static_assert(std::is_nothrow_move_assignable_v<Crl> && std::is_nothrow_move_assignable_v<Csr>);

TEST(PublicHeadersTest, ValuesLiveWithoutOpensslHeaders) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.has_value());
  PrivateKey copy = key.value();
  const PublicKey pub = copy.Public();
  PrivateKey moved = std::move(copy);
  EXPECT_TRUE(moved.Public().Equals(pub));
}

}  // namespace
}  // namespace anchor::crypto
