// SPDX-License-Identifier: Apache-2.0
// File: est_service.cc: cacerts, simpleenroll, csrattrs.
#include "est/est_service.h"

#include <optional>

#include "core/text.h"
#include "crypto/base64.h"
#include "crypto/pkcs7.h"
#include "est/credentials.h"
#include "http/header_fields.h"

namespace anchor::est {
namespace {

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

// RefuseBody answers an enrollment body of the wrong size or type (413, 415), before decoding.
std::optional<http::Response> RefuseBody(const http::Request& request) {
  if (request.body.size() > kMaxBodyBytes) {
    return http::TextResponse(413, "the request body is larger than 64 KiB");
  }
  //= https://www.rfc-editor.org/rfc/rfc7030#section-4.2.1
  //# The HTTP content-type of "application/pkcs10" is used here.
  if (!http::IsMediaType(request.Header("Content-Type"), "application/pkcs10")) {
    return http::TextResponse(
        415, "send the CSR as Content-Type: application/pkcs10 (base64 DER PKCS#10)");
  }
  return std::nullopt;
}

// DecodeCsr reads the base64 DER PKCS#10 of an enrollment body; errors are kInvalidArgument (400).
//= https://www.rfc-editor.org/rfc/rfc2045#section-6.8
//# The encoded output stream must be represented in lines of no more than 76 characters each.
//# All line breaks or other characters not found in Table 1 must be ignored by decoding
//# software.
// Line breaks (CRLF or LF) and other white space are skipped by Base64Decode; any other
// character outside the alphabet is refused, as RFC 2045 also allows ("probably indicate a
// transmission error").
Result<crypto::Csr> DecodeCsr(const std::string& body) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> der, crypto::Base64Decode(body));
  auto csr = crypto::Csr::FromDer(der);
  if (!csr) {
    return Error(Code::kInvalidArgument, "the body is not a DER PKCS#10 certificate request");
  }
  return csr;
}

}  // namespace

http::Response EstService::CaCerts() const {
  return CertsOnly({authority_.intermediate(), authority_.root()});
}

http::Response EstService::Enroll(crypto::Csr csr, const ca::Presented& credential) {
  auto grant = authenticator_.Authenticate(credential);
  if (!grant) {
    return http::ErrorResponse(grant.error());
  }
  auto issued = authority_.Issue(ca::IssueRequest{std::move(csr), std::move(grant).value()});
  if (!issued) {
    return http::ErrorResponse(issued.error());
  }
  return CertsOnly({issued->cert});
}

http::Response EstService::SimpleEnroll(const http::Request& request) {
  if (auto refusal = RefuseBody(request)) {
    return *refusal;
  }
  auto csr = DecodeCsr(request.body);
  if (!csr) {
    return http::ErrorResponse(csr.error());
  }
  // Without a token, a client certificate is a factory certificate when factory trust is set.
  const bool has_token = !request.Header("Authorization").empty();
  if (!has_token && authenticator_.AcceptsFactoryCertificates() && !request.peer_chain.empty()) {
    return Enroll(std::move(csr).value(), ca::FactoryCredential{request.peer_chain});
  }
  auto token = TokenFromRequest(request);
  if (!token) {
    return http::ErrorResponse(token.error());
  }
  return Enroll(std::move(csr).value(), ca::TokenCredential{std::move(token).value()});
}

http::Response EstService::SimpleReenroll(const http::Request& request) {
  if (auto refusal = RefuseBody(request)) {
    return *refusal;
  }
  auto csr = DecodeCsr(request.body);
  if (!csr) {
    return http::ErrorResponse(csr.error());
  }
  auto chain = PeerChain(request);
  if (!chain) {
    return http::ErrorResponse(chain.error());
  }
  return Enroll(std::move(csr).value(), ca::RenewalCredential{chain->front()});
}

http::Response EstService::CsrAttrs() const { return http::Response{204, "text/plain", {}, ""}; }

}  // namespace anchor::est
