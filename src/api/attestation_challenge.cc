// SPDX-License-Identifier: Apache-2.0
// File: attestation_challenge.cc: the TPM attestation challenge as JSON over HTTP.
#include "api/attestation_challenge.h"

#include "api/json_body.h"
#include "crypto/base64.h"
#include "http/header_fields.h"

namespace anchor::api {
namespace {

// Bytes reads the base64 string member `name` of `body`, which must be there.
Result<std::vector<uint8_t>> Bytes(const nlohmann::json& body, const char* name) {
  ANCHOR_ASSIGN_OR_RETURN(const std::string text, StringField(body, name, ""));
  if (text.empty()) {
    return Error(Code::kInvalidArgument,
                 std::string("the body needs '") + name + "', a base64 string");
  }
  auto bytes = crypto::Base64Decode(text);
  if (!bytes) {
    return bytes.error().Prefixed(std::string("'") + name + "'");
  }
  return bytes;
}

Result<http::Response> Answer(const ca::KeyAttestation* attestation, const Clock& clock,
                              const http::Request& request) {
  if (attestation == nullptr) {
    return Error(Code::kNotFound,
                 "this CA checks no TPM attestation ([server] tpm_manufacturer_ca is unset)");
  }
  // A body of another type is the client's wrong format (415), before ParseBody reads it.
  if (!http::IsMediaType(request.Header("Content-Type"), "application/json")) {
    return Error(Code::kUnsupportedMediaType, "send the body as Content-Type: application/json");
  }
  ANCHOR_ASSIGN_OR_RETURN(const nlohmann::json body,
                          ParseBody(request, {"ek_certificate", "ak_public"}));
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> ek, Bytes(body, "ek_certificate"));
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> ak, Bytes(body, "ak_public"));
  ANCHOR_ASSIGN_OR_RETURN(const ca::TpmChallenge challenge,
                          attestation->Challenge(ek, ak, clock.Now()));
  return Json(200,
              {{"credential_blob", crypto::Base64Encode(challenge.credential.id_object)},
               {"encrypted_secret", crypto::Base64Encode(challenge.credential.encrypted_secret)},
               {"expires", Iso8601(challenge.expires)}});
}

}  // namespace

http::Response AttestationChallenge(const ca::KeyAttestation* attestation, const Clock& clock,
                                    const http::Request& request) {
  return http::Respond(Answer(attestation, clock, request));
}

}  // namespace anchor::api
