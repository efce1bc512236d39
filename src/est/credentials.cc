// SPDX-License-Identifier: Apache-2.0
// File: credentials.cc: Bearer and Basic parsing.
#include "est/credentials.h"

#include "crypto/base64.h"
#include "http/header_fields.h"

namespace anchor::est {
namespace {

// BasicPassword is the password of Basic credentials (base64 of "user:password"); the user name
// is not looked at: the token alone authenticates.
Result<SecretBytes> BasicPassword(std::string_view token68, const Error& missing) {
  auto decoded = crypto::Base64Decode(token68);
  if (!decoded) {
    return Error(Code::kUnauthenticated, "malformed Basic credentials");
  }
  const std::string_view pair(reinterpret_cast<const char*>(decoded->data()), decoded->size());
  const size_t colon = pair.find(':');
  SecretBytes token(colon == std::string_view::npos ? "" : pair.substr(colon + 1));
  ::explicit_bzero(decoded->data(), decoded->size());
  if (token.empty()) {
    return missing;
  }
  return token;
}

}  // namespace

Result<SecretBytes> TokenFromRequest(const http::Request& request) {
  const Error missing(Code::kUnauthenticated,
                      "no credentials: send the enrollment token as HTTP Basic password or "
                      "Authorization: Bearer");
  const std::string authorization = request.Header("Authorization");
  const std::optional<http::Credentials> credentials = http::ParseCredentials(authorization);
  if (!credentials || credentials->token68.empty()) {
    return missing;
  }
  //= https://www.rfc-editor.org/rfc/rfc6750#section-2.1
  //# b64token    = 1*( ALPHA / DIGIT /
  //#                   "-" / "." / "_" / "~" / "+" / "/" ) *"="
  //# credentials = "Bearer" 1*SP b64token
  if (credentials->scheme == "bearer") {
    return SecretBytes(credentials->token68);
  }
  //= https://www.rfc-editor.org/rfc/rfc7617#section-2
  //# credentials = "Basic" 1*SP token68
  if (credentials->scheme == "basic") {
    return BasicPassword(credentials->token68, missing);
  }
  return missing;
}

Result<std::vector<crypto::Certificate>> PeerChain(const http::Request& request) {
  if (request.peer_chain.empty()) {
    return Error(Code::kUnauthenticated,
                 "no client certificate: connect with the certificate this request is about "
                 "(curl --cert/--key)");
  }
  return request.peer_chain;
}

}  // namespace anchor::est
