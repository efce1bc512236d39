// SPDX-License-Identifier: Apache-2.0
// File: http_binding.h: OCSP over HTTP (RFC 6960 appendix A, RFC 5019 section 5).
#pragma once

#include <string_view>

#include "http/http_message.h"
#include "ocsp/responder.h"

namespace anchor::ocsp {

// IsOcspRequest is true for the requests this binding answers: POST /ocsp (or /ocsp/, the AIA
// URL a client was given may end in a slash) and GET /ocsp/{request}.
bool IsOcspRequest(std::string_view method, std::string_view path);

// AnswerHttp answers one such request with `responder`: 200 with an application/ocsp-response
// body (which may itself be an OCSP error status such as malformedRequest); 415 for a POST
// whose Content-Type is not application/ocsp-request; 400 for a GET path that is not URL-encoded
// base64. Safe to call from several threads.
http::Response AnswerHttp(const Responder& responder, const http::Request& request);

}  // namespace anchor::ocsp
