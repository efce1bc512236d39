// SPDX-License-Identifier: Apache-2.0
// File: external_key.h: private keys that anchor cannot read, held by a PKCS#11 token or a TPM,
// as ordinary `PrivateKey` values whose signatures are made by the device that holds them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/key.h"

namespace anchor::crypto {

// KeySigner is the device side of an external key: it signs a digest with a private key it never
// hands out. Implementations are thread-safe: a CA signs from every worker thread.
class KeySigner {
 public:
  virtual ~KeySigner() = default;
  // SignDigest signs `digest` (the hash already computed by the caller, 32 or 48 bytes) and
  // returns the ECDSA-Sig-Value DER of RFC 3279 2.2.3, as X.509 carries it. A device that is
  // gone for now (a token pulled, a TPM busy) is kUnavailable, so a server answers 503 and
  // retries later; a refusal that will not pass is another code. Errors name the device.
  virtual Result<std::vector<uint8_t>> SignDigest(std::span<const uint8_t> digest) const = 0;
  // Describe names the key for messages, e.g. "PKCS#11 token 'anchor-ca' object 'intermediate'".
  virtual std::string Describe() const = 0;
  // KeyFileText is what a key file holds in place of this key (WritePrivateKeyFile): where the
  // key is, never its value, e.g. the key's "pkcs11:" URI. kFailedPrecondition when the key
  // cannot be named in a file.
  virtual Result<std::string> KeyFileText() const {
    return Error(Code::kFailedPrecondition, Describe() + " cannot be named in a key file");
  }
};

// MakeExternalKey returns a PrivateKey whose public half is `public_key` and whose signatures
// (certificates, CRLs, OCSP responses, CSRs, TLS handshakes) are made by `signer`. EC keys
// (P-256, P-384) only: another key type is kUnimplemented. The key cannot be written out:
// ToPkcs8Pem is kFailedPrecondition. A failed signature leaves the signer's Error on the OpenSSL
// error queue, where `ossl::OsslError` finds its code and text (crypto/ossl_error.h).
Result<PrivateKey> MakeExternalKey(const PublicKey& public_key,
                                   std::shared_ptr<const KeySigner> signer);

// ExternalSigner is the signer behind `key`, or null for a key anchor holds itself.
const KeySigner* ExternalSigner(const PrivateKey& key);

// EcdsaRawToDer turns the r || s form PKCS#11's CKM_ECDSA returns (PKCS#11 3.0 2.3.1: two
// big-endian integers of the group's size) into the DER of RFC 3279 2.2.3.
Result<std::vector<uint8_t>> EcdsaRawToDer(std::span<const uint8_t> raw);

}  // namespace anchor::crypto
