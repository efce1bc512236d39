// SPDX-License-Identifier: Apache-2.0
// File: credentials.cc: Bearer and Basic parsing.
#include "est/credentials.h"

#include "core/text.h"
#include "crypto/base64.h"

namespace anchor::est {

Result<SecretBytes> TokenFromRequest(const http::Request& request) {
  const std::string auth = request.Header("Authorization");
  const Error missing(Code::kUnauthenticated,
                      "no credentials: send the enrollment token as HTTP Basic password or "
                      "Authorization: Bearer");
  if (StartsWithIgnoreCase(auth, "Bearer ")) {
    const std::string_view token = std::string_view(auth).substr(7);
    return token.empty() ? Result<SecretBytes>(missing) : SecretBytes(token);
  }
  if (StartsWithIgnoreCase(auth, "Basic ")) {
    auto decoded = crypto::Base64Decode(std::string_view(auth).substr(6));
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
  return missing;
}

Result<std::vector<crypto::Certificate>> PeerChain(const http::Request& request) {
  if (request.peer_chain.empty()) {
    return Error(Code::kUnauthenticated,
                 "no client certificate: connect with the certificate this request is about "
                 "(curl --cert/--key)");
  }
  std::vector<crypto::Certificate> chain;
  for (const auto& der : request.peer_chain) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(der));
    chain.push_back(std::move(cert));
  }
  return chain;
}

}  // namespace anchor::est
