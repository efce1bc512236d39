// SPDX-License-Identifier: Apache-2.0
// File: pkcs11_key.h: CA keys in a PKCS#11 token (an HSM, SoftHSM2, a smart card), named by an
// RFC 7512 "pkcs11:" URI: made inside the token, never extractable, signing in it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/key.h"

namespace anchor::crypto {

// Pkcs11KeyUri is where a private key lives: the module (a shared library) and, in it, the token
// and the object. Parsed by p11-kit, which implements RFC 7512.
struct Pkcs11KeyUri {
  // module_path is the query attribute module-path (RFC 7512 2.3); without one, p11-kit's proxy
  // module, which loads every module registered in /usr/share/p11-kit/modules.
  std::string module_path;
  std::string token;        // the token's label (path attribute "token"), or empty: any token
  std::string serial;       // the token's serial number ("serial"), or empty
  std::string object;       // the key's CKA_LABEL ("object"), or empty
  std::vector<uint8_t> id;  // the key's CKA_ID ("id", percent-encoded bytes), or empty
  std::string pin_source;   // RFC 7512 "pin-source": a file whose first line is the PIN

  // ToString is the URI anchor stores: token, serial, object, id and type=private in the path,
  // module-path and pin-source in the query; never a PIN.
  std::string ToString() const;
  // Describe names the key for messages: "PKCS#11 token 'anchor-ca' key 'intermediate'".
  std::string Describe() const;
};

// IsPkcs11Uri tells whether `text` is a "pkcs11:" URI rather than a key file's content.
bool IsPkcs11Uri(std::string_view text);

// ParsePkcs11KeyUri parses an RFC 7512 URI naming one private key: it must name a token (token
// or serial) and an object (object or id). A pin-value is refused (kInvalidArgument): a PIN on a
// command line or in a stored file is visible to every user of the machine; give it with
// --pin-file, ANCHOR_PKCS11_PIN, or pin-source=FILE.
Result<Pkcs11KeyUri> ParsePkcs11KeyUri(std::string_view uri);

// SetPkcs11Pin is the PIN the process logs in to tokens with when a key's URI has no pin-source
// (the CLI's --pin-file or $ANCHOR_PKCS11_PIN, read once at start).
void SetPkcs11Pin(std::string_view pin);

// OpenPkcs11Key logs in to the token and finds the key; its signatures are made by the token
// from any thread, over a pool of sessions. Errors, each one line naming the token:
//   kNotFound           no token, or no private key, matches the URI
//   kUnauthenticated    the PIN is wrong (CKR_PIN_INCORRECT)
//   kPermissionDenied   the PIN is locked
//   kFailedPrecondition the token needs a PIN and none was given
//   kInvalidArgument    the URI matches several keys, or the module cannot be loaded
//   kUnimplemented      the key is not EC P-256 or P-384
// When the token goes away later (pulled, its daemon restarted), signatures fail with
// kUnavailable and the next one after a short pause (at most one attempt every 250 ms) loads the
// module again, logs in and finds the key: the token's return is taken up without a restart.
Result<PrivateKey> OpenPkcs11Key(const Pkcs11KeyUri& uri);

// GeneratePkcs11Key makes a key pair of `type` (ec-p256 or ec-p384) inside the token, the
// private half CKA_SENSITIVE and not CKA_EXTRACTABLE (PKCS#11 3.0 4.9), labelled uri.object,
// with uri.id as CKA_ID or, without one, 16 random bytes. It returns the URI of the new key (with
// its id, to name it alone) and the key, opened as OpenPkcs11Key does. A token that already
// holds a private key with that label or id is kAlreadyExists: anchor never takes over a key it
// did not make.
struct GeneratedPkcs11Key {
  Pkcs11KeyUri uri;
  PrivateKey key;
};
Result<GeneratedPkcs11Key> GeneratePkcs11Key(const Pkcs11KeyUri& uri, KeyType type);

// DestroyPkcs11Key removes the key pair `uri` names (its private and public objects), to undo a
// GeneratePkcs11Key whose CA was not made.
Status DestroyPkcs11Key(const Pkcs11KeyUri& uri);

}  // namespace anchor::crypto
