// SPDX-License-Identifier: Apache-2.0
// File: credentials.h: the enrollment token carried by an HTTP request.
#pragma once

#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "http/http_message.h"

namespace anchor::est {

// TokenFromRequest reads the token from "Authorization: Bearer TOKEN", or from the password of
// "Authorization: Basic base64(user:TOKEN)" (any user name), as EST clients such as curl send
// it. No Authorization header, or one of another scheme, is kUnauthenticated.
Result<SecretBytes> TokenFromRequest(const http::Request& request);

// PeerChain is the client certificate chain TLS verified (leaf first). No certificate is
// kUnauthenticated: "present your current certificate".
Result<std::vector<crypto::Certificate>> PeerChain(const http::Request& request);

}  // namespace anchor::est
