// SPDX-License-Identifier: Apache-2.0
// File: key.h: private and public keys, the key types anchor issues for, PKCS#8 PEM.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/ossl_fwd.h"

namespace anchor::crypto {

// KeyType is a key algorithm and size anchor generates and policy can allow.
enum class KeyType { kEcP256, kEcP384, kEd25519, kRsa2048, kRsa3072, kRsa4096 };

// KeyTypeName returns the CLI spelling, e.g. "ec-p256".
std::string_view KeyTypeName(KeyType type);
// ParseKeyType parses the CLI spelling; kInvalidArgument lists the valid ones.
Result<KeyType> ParseKeyType(std::string_view name);
// AllKeyTypes lists every supported type, default first.
std::span<const KeyType> AllKeyTypes();

// PublicKey is an immutable public key (an SPKI).
class PublicKey final {
 public:
  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  // FromPem parses a "PUBLIC KEY" PEM block, FromDer a DER SubjectPublicKeyInfo.
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> FromDer(std::span<const uint8_t> der);

  // Type returns the anchor key type, or nullopt for keys anchor does not issue for (RSA-1024,
  // secp256k1, ...), which policy then refuses.
  std::optional<KeyType> Type() const;
  // Description is e.g. "ec-p256", "rsa-1024" or "dsa-2048" for any key.
  std::string Description() const;
  int Bits() const;
  bool IsRsa() const;
  // SpkiDer is the DER SubjectPublicKeyInfo; Equals compares those.
  std::vector<uint8_t> SpkiDer() const;
  std::string ToPem() const;
  bool Equals(const PublicKey& other) const;

 private:
  friend struct internal::Handles;  // the OpenSSL objects, for crypto/internal/handles.h
  explicit PublicKey(ossl::Ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  ossl::Ptr<evp_pkey_st> key_;
  // spki_ is the SubjectPublicKeyInfo the key was read from (a certificate's or a CSR's), or
  // null: certificates for the key copy it rather than encode the key again.
  ossl::Ptr<X509_pubkey_st> spki_;
};

// PrivateKey is an immutable private key.
class PrivateKey final {
 public:
  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  // Generate makes a fresh key of `type` from the CSPRNG.
  static Result<PrivateKey> Generate(KeyType type);
  // FromPem parses PKCS#8 (plain or encrypted), or a traditional RSA/EC PEM key as the seeds'
  // `openssl genrsa` writes. An encrypted key without `passphrase` is kFailedPrecondition; a wrong
  // passphrase is kUnauthenticated.
  static Result<PrivateKey> FromPem(std::string_view pem, const SecretBytes* passphrase = nullptr);

  // ToPkcs8Pem writes "PRIVATE KEY", or with a passphrase "ENCRYPTED PRIVATE KEY"
  // (PBES2: scrypt N=2^14 r=8 p=1, as `openssl pkcs8 -scrypt`, AES-256-CBC).
  Result<std::string> ToPkcs8Pem(const SecretBytes* passphrase = nullptr) const;

  PublicKey Public() const;
  std::optional<KeyType> Type() const { return Public().Type(); }

 private:
  friend struct internal::Handles;  // the OpenSSL object, for crypto/internal/handles.h
  explicit PrivateKey(ossl::Ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  ossl::Ptr<evp_pkey_st> key_;
};

// Ed25519Seed is the 32-byte private key of an Ed25519 key (RFC 8032 5.1.5): random bytes that
// a CA home keeps, backs up and restores as it does its other keys, for keying a MAC
// (ca/key_attestation.h). Another type of key is kInvalidArgument.
Result<SecretBytes> Ed25519Seed(const PrivateKey& key);

// IsEncryptedPem tells whether `pem` holds an encrypted private key.
bool IsEncryptedPem(std::string_view pem);

}  // namespace anchor::crypto
