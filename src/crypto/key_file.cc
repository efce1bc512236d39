// SPDX-License-Identifier: Apache-2.0
// File: key_file.cc: key and certificate files.
#include "crypto/key_file.h"

#include "core/file_io.h"
#include "crypto/external_key.h"
#include "crypto/pkcs11_key.h"
#include "crypto/tpm2_key.h"

namespace anchor::crypto {
namespace {

// kMaxKeyFileBytes bounds a key or certificate file: a few KiB, a chain a few more.
constexpr size_t kMaxKeyFileBytes = 1u << 20;

// OpenPkcs11FromFile opens the key a key file names: one URI on one line, nothing after it.
Result<PrivateKey> OpenPkcs11FromFile(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  const size_t eol = text.find_first_of("\r\n", start);
  if (eol != std::string_view::npos &&
      text.find_first_not_of(" \t\r\n", eol) != std::string_view::npos) {
    return Error(Code::kInvalidArgument,
                 "a key file naming a PKCS#11 key holds its URI on one line, and nothing else");
  }
  ANCHOR_ASSIGN_OR_RETURN(Pkcs11KeyUri uri, ParsePkcs11KeyUri(text.substr(0, eol)));
  return OpenPkcs11Key(uri);
}

}  // namespace

Result<PrivateKey> LoadPrivateKeyFile(const std::string& path, const SecretBytes* passphrase) {
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, kMaxKeyFileBytes));
  auto key = IsPkcs11Uri(pem)    ? OpenPkcs11FromFile(pem)
             : IsTpm2KeyPem(pem) ? LoadTpm2Key(pem)
                                 : PrivateKey::FromPem(pem, passphrase);
  if (!key) {
    return key.error().Prefixed(path);
  }
  return key;
}

Result<Certificate> LoadCertificateFile(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, kMaxKeyFileBytes));
  auto cert = Certificate::FromPem(pem);
  if (!cert) {
    return cert.error().Prefixed(path);
  }
  return cert;
}

Result<std::string> PrivateKeyFilePem(const PrivateKey& key, const SecretBytes* passphrase) {
  if (const KeySigner* signer = ExternalSigner(key); signer != nullptr) {
    // Where the key is holds no secret to encrypt: the passphrase of the home's other keys is
    // not for it.
    return signer->KeyFileText();
  }
  return key.ToPkcs8Pem(passphrase);
}

Status WritePrivateKeyFile(const std::string& path, const PrivateKey& key,
                           const SecretBytes* passphrase, bool exclusive) {
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, PrivateKeyFilePem(key, passphrase));
  return WriteFileAtomic(path, pem, kPrivateKeyMode, exclusive);
}

}  // namespace anchor::crypto
