// SPDX-License-Identifier: Apache-2.0
// File: http_binding.cc: OCSP over HTTP (RFC 6960 appendix A, RFC 5019 section 5).
#include "ocsp/http_binding.h"

#include "crypto/base64.h"
#include "http/header_fields.h"

namespace anchor::ocsp {
namespace {

constexpr std::string_view kGetPrefix = "/ocsp/";

http::Response Success(const std::vector<uint8_t>& der) {
  return http::Response{200, "application/ocsp-response", {}, std::string(der.begin(), der.end())};
}

// RequestDer is the DER OCSPRequest an HTTP request carries: the body of a POST, the path of a
// GET. Its errors are about the HTTP binding (415, 400); a DER that is no OCSPRequest is the
// responder's to answer (malformedRequest).
Result<std::vector<uint8_t>> RequestDer(const http::Request& request) {
  if (request.method == "POST") {
    //= https://www.rfc-editor.org/rfc/rfc6960#appendix-A.1
    //# The Content-Type header has the value "application/ocsp-request", while the body of the
    //# message is the binary value of the DER encoding of the OCSPRequest.
    if (!http::IsMediaType(request.Header("Content-Type"), "application/ocsp-request")) {
      return Error(Code::kUnsupportedMediaType, "send Content-Type: application/ocsp-request");
    }
    return std::vector<uint8_t>(request.body.begin(), request.body.end());
  }
  //= https://www.rfc-editor.org/rfc/rfc6960#appendix-A.1
  //# An OCSP request using the GET method is constructed as follows:
  //# GET {url}/{url-encoding of base-64 encoding of the DER encoding of the OCSPRequest}
  // Clients differ in what they escape: '+', '/' and '=' arrive escaped or not, in either case
  // of hex, and a responder URL ending in '/' gives "/ocsp//...". Base64 of a DER OCSPRequest (a
  // SEQUENCE, 0x30) starts with 'M', so leading slashes are never part of it.
  const std::string path = request.Path();
  std::string_view rest = std::string_view(path).substr(kGetPrefix.size());
  while (!rest.empty() && rest.front() == '/') {
    rest.remove_prefix(1);
  }
  const auto encoded = http::PercentDecode(rest, /*plus_is_space=*/false);
  auto request_der = crypto::Base64Decode(encoded.value_or(""));
  if (!encoded || !request_der) {
    return Error(Code::kInvalidArgument,
                 "the path after /ocsp/ is not a URL-encoded base64 OCSP request");
  }
  return std::move(request_der).value();
}

}  // namespace

bool IsOcspRequest(std::string_view method, std::string_view path) {
  return (method == "POST" && (path == "/ocsp" || path == "/ocsp/")) ||
         (method == "GET" && path.starts_with(kGetPrefix));
}

http::Response AnswerHttp(const Responder& responder, const http::Request& request) {
  const auto der = RequestDer(request);
  if (!der) {
    return http::ErrorResponse(der.error());
  }
  Responder::OcspAnswer answer = responder.Answer(*der);
  http::Response response = Success(std::move(answer.der));
  response.log = std::move(answer.problem);  // an OCSP error is a 200 whose cause the log keeps
  return response;
}

}  // namespace anchor::ocsp
