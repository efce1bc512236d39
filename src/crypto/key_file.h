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
// (crypto/pkcs11_key.h), with the process's PIN; `passphrase` is then not used.
Result<PrivateKey> LoadPrivateKeyFile(const std::string& path, const SecretBytes* passphrase);

// LoadCertificateFile reads the first certificate of a PEM file, naming `path` in every error.
Result<Certificate> LoadCertificateFile(const std::string& path);

// WritePrivateKeyFile writes `key` as PKCS#8 PEM, mode 0600, atomically (temp file, fsync,
// rename); with `exclusive`, an existing file is kAlreadyExists. A key held by a device (a
// PKCS#11 token) is written as where it is (KeySigner::KeyFileText, its URI), never its value.
Status WritePrivateKeyFile(const std::string& path, const PrivateKey& key,
                           const SecretBytes* passphrase, bool exclusive = false);

}  // namespace anchor::crypto
