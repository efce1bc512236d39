// SPDX-License-Identifier: Apache-2.0
// File: tpm2_key.h: device keys in a TPM 2.0, through the tpm2-openssl provider: made inside
// the TPM, kept on disk as the TPM-wrapped "TSS2 PRIVATE KEY" blob, signing in the TPM.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/key.h"

namespace anchor::crypto {

// SetTpm2Tcti names the TPM the process's TPM keys live in, as a tpm2-tss TCTI configuration:
// "device:/dev/tpmrm0" (the kernel's resource manager: the right one on a device),
// "swtpm:host=127.0.0.1,port=2321" (swtpm's TCP socket; its control port is port + 1),
// "tabrmd:" (the user-space resource manager). Empty (the start): $TPM2OPENSSL_TCTI, else
// tpm2-tss's default search (tabrmd, /dev/tpmrm0, /dev/tpm0, a simulator on localhost:2321).
// Keys opened before the change stay on their TPM.
void SetTpm2Tcti(std::string_view tcti);
// Tpm2Tcti is the TCTI SetTpm2Tcti set last (empty: the default search).
std::string Tpm2Tcti();

// IsTpm2KeyPem tells whether `pem` holds a "TSS2 PRIVATE KEY" (the form of tpm2-openssl,
// tpm2-tss-engine and openssl_tpm2_engine: OID 2.23.133.10.1.3, the key's TPM2B_PUBLIC and its
// TPM2B_PRIVATE, sealed by the TPM's storage hierarchy).
bool IsTpm2KeyPem(std::string_view pem);

// GenerateTpm2Key makes an ec-p256 or ec-p384 signing key inside the TPM, under the owner
// hierarchy's primary storage key (made again from the TPM's seed when needed, so nothing is
// persisted in the TPM): its private half never leaves the TPM in the clear
// (fixedTPM, fixedParent, sensitiveDataOrigin). Tpm2KeyPem gives the blob to keep on disk.
// Errors: kUnavailable when the TPM cannot be reached (names the TCTI), kFailedPrecondition when
// the tpm2 provider is not installed, kUnimplemented for another key type or a curve the TPM
// lacks.
Result<PrivateKey> GenerateTpm2Key(KeyType type);

// LoadTpm2Key loads a TSS2 PRIVATE KEY into the TPM (one of its transient object slots, held
// until the last copy of the key is gone) and returns it as a PrivateKey whose signatures
// (CSRs, TLS handshakes) the TPM makes, from any thread, one at a time. Errors as
// GenerateTpm2Key; a blob another TPM sealed, or a damaged one, is kInvalidArgument.
// A signature while the TPM is unreachable fails with kUnavailable.
Result<PrivateKey> LoadTpm2Key(std::string_view pem);

// Tpm2KeyPem is the TSS2 PRIVATE KEY PEM of a key from GenerateTpm2Key or LoadTpm2Key, or nullopt
// for a key that is not in a TPM. The blob is useless without the TPM that made it, but is
// written 0600 like every key file.
std::optional<std::string> Tpm2KeyPem(const PrivateKey& key);

}  // namespace anchor::crypto
