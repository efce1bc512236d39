// SPDX-License-Identifier: Apache-2.0
// File: hello.cc: the mTLS hello endpoint.
#include "api/hello.h"

namespace anchor::api {

http::Response Hello(const ca::Authenticator& authenticator, const http::Request& request) {
  if (request.peer_chain.empty()) {
    return http::ErrorResponse(
        Error(Code::kUnauthenticated, "no client certificate: connect with one this CA issued"));
  }
  const crypto::Certificate& leaf = request.peer_chain.front();
  auto who = authenticator.IdentifyClient(leaf);
  if (!who) {
    return http::ErrorResponse(who.error());
  }
  return http::Response{200, "text/plain", {}, "Hello, " + leaf.CommonName() + "\n"};
}

}  // namespace anchor::api
