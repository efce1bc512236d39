// SPDX-License-Identifier: Apache-2.0
// File: est_service.cc: cacerts, simpleenroll, csrattrs.
#include "est/est_service.h"

#include "core/text.h"
#include "crypto/base64.h"
#include "crypto/pkcs7.h"
#include "est/credentials.h"

namespace anchor::est {
namespace {

http::Response Plain(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body) + "\n";
  return r;
}

//= https://www.rfc-editor.org/rfc/rfc7030#section-4.1.3
//# The HTTP content-type of "application/pkcs7-mime" is used. The Simple PKI Response is sent
//# with a Content-Transfer-Encoding of "base64" [RFC2045].
http::Response CertsOnly(const std::vector<crypto::Certificate>& certs) {
  auto der = crypto::CertsOnlyPkcs7(certs);
  if (!der) {
    return http::ErrorResponse(der.error());
  }
  http::Response r;
  r.content_type = "application/pkcs7-mime; smime-type=certs-only";
  r.headers.emplace_back("Content-Transfer-Encoding", "base64");
  r.body = crypto::Base64Encode(*der, /*wrap=*/true);
  return r;
}

bool IsPkcs10(const std::string& content_type) {
  const std::string type = ToLower(content_type.substr(0, content_type.find(';')));
  return type == "application/pkcs10";
}

}  // namespace

http::Response EstService::CaCerts() const {
  return CertsOnly({authority_.intermediate(), authority_.root()});
}

http::Response EstService::SimpleEnroll(const http::Request& request) {
  if (request.body.size() > kMaxBodyBytes) {
    return Plain(413, "the request body is larger than 64 KiB");
  }
  if (!IsPkcs10(request.Header("Content-Type"))) {
    return Plain(415, "send the CSR as Content-Type: application/pkcs10 (base64 DER PKCS#10)");
  }
  auto token = TokenFromRequest(request);
  if (!token) {
    return http::ErrorResponse(token.error());
  }
  auto der = crypto::Base64Decode(request.body);
  if (!der) {
    return http::ErrorResponse(der.error());
  }
  auto csr = crypto::Csr::FromDer(*der);
  if (!csr) {
    return Plain(400, "the body is not a DER PKCS#10 certificate request");
  }
  // The token fixes the profile; Authority checks proof of possession before the token.
  auto issued = authority_.Issue(ca::IssueRequest{std::move(csr).value(), ca::Profile::kClient,
                                                  std::nullopt, std::nullopt,
                                                  std::move(token).value()});
  if (!issued) {
    return http::ErrorResponse(issued.error());
  }
  return CertsOnly({issued->cert});
}

http::Response EstService::CsrAttrs() const { return http::Response{204, "text/plain", {}, ""}; }

}  // namespace anchor::est
