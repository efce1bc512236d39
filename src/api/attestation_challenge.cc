// SPDX-License-Identifier: Apache-2.0
// File: attestation_challenge.cc: the TPM attestation challenge as JSON over HTTP.
#include "api/attestation_challenge.h"

#include <nlohmann/json.hpp>

#include "crypto/base64.h"
#include "http/header_fields.h"

namespace anchor::api {
namespace {

// Bytes reads the base64 string member `name` of `body`.
Result<std::vector<uint8_t>> Bytes(const nlohmann::json& body, const char* name) {
  if (!body.contains(name) || !body[name].is_string() || body[name].get<std::string>().empty()) {
    return Error(Code::kInvalidArgument,
                 std::string("the body needs '") + name + "', a base64 string");
  }
  auto bytes = crypto::Base64Decode(body[name].get<std::string>());
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
  if (!http::IsMediaType(request.Header("Content-Type"), "application/json")) {
    return Error(Code::kUnsupportedMediaType, "send the body as Content-Type: application/json");
  }
  const nlohmann::json body =
      nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || body.size() != 2) {
    return Error(Code::kInvalidArgument,
                 "the body must be a JSON object of 'ek_certificate' and 'ak_public' only");
  }
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> ek, Bytes(body, "ek_certificate"));
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> ak, Bytes(body, "ak_public"));
  ANCHOR_ASSIGN_OR_RETURN(const ca::TpmChallenge challenge,
                          attestation->Challenge(ek, ak, clock.Now()));
  const nlohmann::json answer = {
      {"credential_blob", crypto::Base64Encode(challenge.credential.id_object)},
      {"encrypted_secret", crypto::Base64Encode(challenge.credential.encrypted_secret)},
      {"expires", Iso8601(challenge.expires)}};
  return http::Response{
      200, "application/json", {{"Cache-Control", "no-store"}}, answer.dump(2) + "\n"};
}

}  // namespace

http::Response AttestationChallenge(const ca::KeyAttestation* attestation, const Clock& clock,
                                    const http::Request& request) {
  return http::Respond(Answer(attestation, clock, request));
}

}  // namespace anchor::api
