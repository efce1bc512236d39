// SPDX-License-Identifier: Apache-2.0
// File: key_file.h: keys and certificates on disk: read naming the file; private keys written
// 0600 and atomically.
#pragma once

#include <string>

#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/key.h"

namespace anchor::crypto {

// LoadPrivateKeyFile reads a PEM private key, naming `path` in every error. A file holding a
// "pkcs11:" URI (RFC 7512) names a key in a token instead: it is opened there
// (crypto/pkcs11_key.h), with the process's PIN; `passphrase` is then not used. A TSS2 PRIVATE
// KEY (a key in a TPM, crypto/tpm2_key.h) is loaded into the TPM set by SetTpm2Tcti.
Result<PrivateKey> LoadPrivateKeyFile(const std::string& path, const SecretBytes* passphrase);

// LoadCertificateFile reads the first certificate of a PEM file, naming `path` in every error.
Result<Certificate> LoadCertificateFile(const std::string& path);

// PrivateKeyFilePem is what a key file holds: PKCS#8 PEM (encrypted with a passphrase), or for a
// key held by a device where it is (KeySigner::KeyFileText): a PKCS#11 token's "pkcs11:" URI,
// the TSS2 PRIVATE KEY a TPM sealed; never the key's value, and never encrypted (it holds no
// secret: the passphrase is for the keys written as PKCS#8).
Result<std::string> PrivateKeyFilePem(const PrivateKey& key, const SecretBytes* passphrase);

// WritePrivateKeyFile writes `key` as PrivateKeyFilePem does, mode 0600, atomically (temp file,
// fsync, rename); with `exclusive`, an existing file is kAlreadyExists.
Status WritePrivateKeyFile(const std::string& path, const PrivateKey& key,
                           const SecretBytes* passphrase, bool exclusive = false);

}  // namespace anchor::crypto
