// SPDX-License-Identifier: Apache-2.0
// File: key.cc: key generation, PEM encoding and key-type detection.
#include "crypto/key.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>

#include "core/text.h"
#include "crypto/external_key.h"
#include "crypto/internal/der.h"
#include "crypto/internal/handles.h"
#include "crypto/internal/spki.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

constexpr std::array<KeyType, 6> kAllKeyTypes = {KeyType::kEcP256,  KeyType::kEcP384,
                                                 KeyType::kEd25519, KeyType::kRsa2048,
                                                 KeyType::kRsa3072, KeyType::kRsa4096};

// PassphraseCallback hands OpenSSL the passphrase, or refuses when there is none.
int PassphraseCallback(char* buf, int size, int /*rwflag*/, void* userdata) {
  const auto* pass = static_cast<const SecretBytes*>(userdata);
  if (pass == nullptr || pass->empty() || pass->size() > static_cast<size_t>(size)) {
    return -1;
  }
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

std::string GroupName(EVP_PKEY* key) {
  char name[64] = {0};
  size_t len = 0;
  if (::EVP_PKEY_get_group_name(key, name, sizeof name, &len) != 1) {
    ossl::ClearErrors();
    return "";
  }
  return std::string(name, len);
}

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "ec-p256";
    case KeyType::kEcP384:
      return "ec-p384";
    case KeyType::kEd25519:
      return "ed25519";
    case KeyType::kRsa2048:
      return "rsa-2048";
    case KeyType::kRsa3072:
      return "rsa-3072";
    case KeyType::kRsa4096:
      return "rsa-4096";
  }
  return "unknown";
}

Result<KeyType> ParseKeyType(std::string_view name) {
  for (const KeyType t : kAllKeyTypes) {
    if (KeyTypeName(t) == name) {
      return t;
    }
  }
  return Error(Code::kInvalidArgument,
               "unknown key type '" + std::string(name) +
                   "'; use one of ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096");
}

std::span<const KeyType> AllKeyTypes() { return kAllKeyTypes; }

// ---- PublicKey ----

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  auto bio = ossl::MemBio(pem.data(), pem.size());
  ossl::Ptr<EVP_PKEY> key(::PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return ossl::OsslError("not a PEM public key", Code::kInvalidArgument);
  }
  return PublicKey(std::move(key));
}

Result<PublicKey> PublicKey::FromDer(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<EVP_PKEY> key,
                          internal::D2iExact(::d2i_PUBKEY, der, "public key"));
  return PublicKey(std::move(key));
}

namespace internal {

PublicKey BorrowPublicKey(EVP_PKEY* key, const X509_PUBKEY* spki) {
  return Handles::Wrap(ossl::UpRef(key), spki != nullptr ? CopySpki(spki) : nullptr);
}

const EVP_MD* SigningDigest(const PrivateKey& key) {
  EVP_PKEY* native = Native(key);
  switch (::EVP_PKEY_get_base_id(native)) {
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return nullptr;
    case EVP_PKEY_EC:
      return ::EVP_PKEY_get_bits(native) > 256 ? ::EVP_sha384() : ::EVP_sha256();
    default:
      return ::EVP_sha256();
  }
}

}  // namespace internal

PublicKey::PublicKey(const PublicKey& other)
    : key_(ossl::UpRef(other.key_.get())),
      spki_(other.spki_ ? internal::CopySpki(other.spki_.get()) : nullptr) {}

PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) {
    key_ = ossl::UpRef(other.key_.get());
    spki_ = other.spki_ ? internal::CopySpki(other.spki_.get()) : nullptr;
  }
  return *this;
}

std::optional<KeyType> PublicKey::Type() const {
  if (!key_) {
    return std::nullopt;
  }
  switch (::EVP_PKEY_get_base_id(key_.get())) {
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_EC: {
      const std::string group = GroupName(key_.get());
      if (group == "prime256v1" || group == "P-256") {
        return KeyType::kEcP256;
      }
      if (group == "secp384r1" || group == "P-384") {
        return KeyType::kEcP384;
      }
      return std::nullopt;
    }
    case EVP_PKEY_RSA:
      switch (Bits()) {
        case 2048:
          return KeyType::kRsa2048;
        case 3072:
          return KeyType::kRsa3072;
        case 4096:
          return KeyType::kRsa4096;
        default:
          return std::nullopt;
      }
    default:
      return std::nullopt;
  }
}

std::string PublicKey::Description() const {
  if (!key_) {
    return "unsupported key";
  }
  if (const auto t = Type()) {
    return std::string(KeyTypeName(*t));
  }
  const int id = ::EVP_PKEY_get_base_id(key_.get());
  if (id == EVP_PKEY_RSA) {
    return "rsa-" + std::to_string(Bits());
  }
  if (id == EVP_PKEY_EC) {
    return "ec-" + GroupName(key_.get());
  }
  const char* name = ::OBJ_nid2sn(id);
  std::string out = ToLower(name != nullptr ? name : "unknown");
  return out + "-" + std::to_string(Bits());
}

int PublicKey::Bits() const { return key_ ? ::EVP_PKEY_get_bits(key_.get()) : 0; }

bool PublicKey::IsRsa() const { return key_ && ::EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_RSA; }

std::vector<uint8_t> PublicKey::SpkiDer() const {
  if (!key_) {
    return {};
  }
  return internal::I2d(::i2d_PUBKEY, static_cast<const EVP_PKEY*>(key_.get()));
}

std::string PublicKey::ToPem() const {
  if (!key_) {
    return "";
  }
  ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  ANCHOR_CHECK(::PEM_write_bio_PUBKEY(bio.get(), key_.get()) == 1);
  return internal::BioToString(bio.get());
}

bool PublicKey::Equals(const PublicKey& other) const {
  return key_ && other.key_ && ::EVP_PKEY_eq(key_.get(), other.key_.get()) == 1;
}

// ---- PrivateKey ----

PrivateKey::PrivateKey(const PrivateKey& other) : key_(ossl::UpRef(other.key_.get())) {}

PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
  key_ = ossl::UpRef(other.key_.get());
  return *this;
}

Result<PrivateKey> PrivateKey::Generate(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::kEcP256:
      key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kEcP384:
      key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::kEd25519:
      key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kRsa2048:
      key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyType::kRsa3072:
      key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case KeyType::kRsa4096:
      key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
  }
  if (key == nullptr) {
    return ossl::OsslError("key generation failed");
  }
  return PrivateKey(ossl::Ptr<EVP_PKEY>(key));
}

Result<SecretBytes> Ed25519Seed(const PrivateKey& key) {
  EVP_PKEY* pkey = internal::Native(key);
  std::array<unsigned char, 32> seed{};
  size_t len = seed.size();
  if (::EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519 ||
      ::EVP_PKEY_get_raw_private_key(pkey, seed.data(), &len) != 1 || len != seed.size()) {
    ossl::ClearErrors();
    return Error(Code::kInvalidArgument, "not an Ed25519 private key");
  }
  SecretBytes out(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  ::OPENSSL_cleanse(seed.data(), seed.size());
  return out;
}

bool IsEncryptedPem(std::string_view pem) {
  return pem.find("ENCRYPTED PRIVATE KEY") != std::string_view::npos ||
         pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem, const SecretBytes* passphrase) {
  const bool encrypted = IsEncryptedPem(pem);
  if (encrypted && (passphrase == nullptr || passphrase->empty())) {
    return Error(Code::kFailedPrecondition,
                 "the key is encrypted; give its passphrase with --passphrase-file or "
                 "ANCHOR_PASSPHRASE");
  }
  auto bio = ossl::MemBio(pem.data(), pem.size());
  ossl::Ptr<EVP_PKEY> key(::PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback,
                                                    const_cast<SecretBytes*>(passphrase)));
  if (!key) {
    if (encrypted) {
      return ossl::OsslError("wrong passphrase, or the encrypted key is damaged",
                             Code::kUnauthenticated);
    }
    return ossl::OsslError("not a PEM private key (expected -----BEGIN PRIVATE KEY-----)",
                           Code::kInvalidArgument);
  }
  return PrivateKey(std::move(key));
}

Result<std::string> PrivateKey::ToPkcs8Pem(const SecretBytes* passphrase) const {
  if (const KeySigner* signer = ExternalSigner(*this); signer != nullptr) {
    return Error(Code::kFailedPrecondition,
                 "the key is held by " + signer->Describe() + " and cannot be written to a file");
  }
  ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  if (passphrase == nullptr || passphrase->empty()) {
    if (::PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                        nullptr) != 1) {
      return ossl::OsslError("PEM_write_bio_PKCS8PrivateKey");
    }
    return internal::BioToString(bio.get());
  }
  // PBES2 with scrypt (RFC 7914) rather than PBKDF2: memory-hard against offline guessing.
  ossl::Ptr<X509_ALGOR> pbe(::PKCS5_pbe2_set_scrypt(::EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                                    /*N=*/1 << 14, /*r=*/8, /*p=*/1));
  if (!pbe) {
    return ossl::OsslError("PKCS5_pbe2_set_scrypt");
  }
  ossl::Ptr<PKCS8_PRIV_KEY_INFO> p8(::EVP_PKEY2PKCS8(key_.get()));
  if (!p8) {
    return ossl::OsslError("EVP_PKEY2PKCS8");
  }
  ossl::Ptr<X509_SIG> sig(::PKCS8_set0_pbe(passphrase->data(), static_cast<int>(passphrase->size()),
                                           p8.get(), pbe.get()));
  if (!sig) {
    return ossl::OsslError("PKCS8_set0_pbe");
  }
  pbe.release();  // owned by `sig` now, and only because PKCS8_set0_pbe succeeded
  if (::PEM_write_bio_PKCS8(bio.get(), sig.get()) != 1) {
    return ossl::OsslError("PEM_write_bio_PKCS8");
  }
  return internal::BioToString(bio.get());
}

PublicKey PrivateKey::Public() const { return internal::BorrowPublicKey(key_.get()); }

}  // namespace anchor::crypto
