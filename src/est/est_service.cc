// SPDX-License-Identifier: Apache-2.0
// File: est_service.cc: cacerts, simpleenroll, csrattrs.
#include "est/est_service.h"

#include "core/text.h"
#include "crypto/base64.h"
#include "crypto/pkcs7.h"
#include "crypto/tpm_evidence.h"
#include "est/credentials.h"
#include "http/header_fields.h"

namespace anchor::est {
namespace {

//= https://www.rfc-editor.org/rfc/rfc7030#section-4.1.3
//# The HTTP content-type of "application/pkcs7-mime" is used. The Simple PKI Response is sent
//# with a Content-Transfer-Encoding of "base64" [RFC2045].
Result<http::Response> CertsOnly(const std::vector<crypto::Certificate>& certs) {
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> der, crypto::CertsOnlyPkcs7(certs));
  http::Response r;
  r.content_type = "application/pkcs7-mime; smime-type=certs-only";
  r.headers.emplace_back("Content-Transfer-Encoding", "base64");
  r.body = crypto::Base64Encode(der, /*wrap=*/true);
  return r;
}

// CheckBody refuses an enrollment body of the wrong size (kContentTooLarge, 413) or type
// (kUnsupportedMediaType, 415), before decoding.
Status CheckBody(const http::Request& request) {
  if (request.body.size() > kMaxBodyBytes) {
    return Error(Code::kContentTooLarge, "the request body is larger than 64 KiB");
  }
  //= https://www.rfc-editor.org/rfc/rfc7030#section-4.2.1
  //# The HTTP content-type of "application/pkcs10" is used here.
  if (!http::IsMediaType(request.Header("Content-Type"), "application/pkcs10")) {
    return Error(Code::kUnsupportedMediaType,
                 "send the CSR as Content-Type: application/pkcs10 (base64 DER PKCS#10)");
  }
  return OkStatus();
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

// ReadCsr is the CSR an enrollment request carries, once its body passed CheckBody.
Result<crypto::Csr> ReadCsr(const http::Request& request) {
  ANCHOR_TRY(CheckBody(request));
  return DecodeCsr(request.body);
}

}  // namespace

http::Response EstService::CaCerts() const {
  // RFC 7030 4.1: the CA certificates a client needs to validate the chains of this CA. The
  // root does not roll over here, the intermediate does: every generation that still answers
  // for certificates in use is sent, the issuing one first, so that clients and brokers accept
  // the certificates of both during the overlap.
  std::vector<crypto::Certificate> certs;
  for (const ca::Generation& g : authority_.generations()) {
    certs.push_back(g.cert);
  }
  certs.push_back(authority_.root());
  return http::Respond(CertsOnly(certs));
}

Result<bool> EstService::KeyAttested(const crypto::Csr& csr) const {
  ANCHOR_ASSIGN_OR_RETURN(const std::optional<crypto::TpmEvidence> evidence,
                          crypto::ReadTpmEvidence(csr));
  if (!evidence) {
    return false;
  }
  const ca::KeyAttestation* attestation = authenticator_.key_attestation();
  if (attestation == nullptr) {
    return Error(Code::kPermissionDenied,
                 "the request carries TPM attestation, which this CA does not check ([server] "
                 "tpm_manufacturer_ca is unset); enroll without --attest");
  }
  ANCHOR_TRY(attestation->Verify(*evidence, csr.GetPublicKey(), authority_.clock().Now()));
  return true;
}

Result<http::Response> EstService::Enroll(crypto::Csr csr, const ca::Presented& credential) {
  ANCHOR_ASSIGN_OR_RETURN(auto grant, authenticator_.Authenticate(credential));
  // The evidence is checked once the caller is known, and before anything is signed. A renewal
  // that keeps an attested key needs none: the certificate it renews is the proof.
  ANCHOR_ASSIGN_OR_RETURN(bool attested, KeyAttested(csr));
  if (const auto& renewing = grant.renewing(); !attested && renewing) {
    attested = renewing->GetPublicKey().Equals(csr.GetPublicKey()) &&
               crypto::HasAttestedKeyPolicy(*renewing);
  }
  ca::IssueRequest request{std::move(csr), std::move(grant)};
  request.key_attested = attested;
  ANCHOR_ASSIGN_OR_RETURN(auto issued, authority_.Issue(request));
  ANCHOR_ASSIGN_OR_RETURN(http::Response response, CertsOnly({issued.cert}));
  response.log_fields.emplace_back("issued", issued.cert.SerialHex());
  if (attested) {
    response.log_fields.emplace_back("key", "tpm-attested");
  }
  return response;
}

Result<http::Response> EstService::EnrollFrom(const http::Request& request) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, ReadCsr(request));
  // Without a token, a client certificate is a factory certificate when factory trust is set.
  const bool has_token = !request.Header("Authorization").empty();
  if (!has_token && authenticator_.AcceptsFactoryCertificates() && !request.peer_chain.empty()) {
    return Enroll(std::move(csr), ca::FactoryCredential{request.peer_chain});
  }
  ANCHOR_ASSIGN_OR_RETURN(auto token, TokenFromRequest(request));
  return Enroll(std::move(csr), ca::TokenCredential{std::move(token)});
}

Result<http::Response> EstService::ReenrollFrom(const http::Request& request) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, ReadCsr(request));
  ANCHOR_ASSIGN_OR_RETURN(const auto chain, PeerChain(request));
  return Enroll(std::move(csr), ca::RenewalCredential{chain.front()});
}

http::Response EstService::SimpleEnroll(const http::Request& request) {
  return http::Respond(EnrollFrom(request));
}

http::Response EstService::SimpleReenroll(const http::Request& request) {
  return http::Respond(ReenrollFrom(request));
}

http::Response EstService::CsrAttrs() const {
  if (authenticator_.key_attestation() == nullptr) {
    return http::Response{204, "text/plain", {}, ""};
  }
  //= https://www.rfc-editor.org/rfc/rfc7030#section-4.5.2
  //# Responses to attribute request messages MUST be encoded as the content-type of
  //# "application/csrattrs", and are to be "base64" [RFC2045] encoded.
  // A CA that checks TPM attestation names the attributes that carry it, for a client that asks.
  auto der = crypto::CsrAttrsDer({crypto::kTpmEkCertificateOid, crypto::kTpmAkPublicOid,
                                  crypto::kTpmKeyPublicOid, crypto::kTpmCertifyInfoOid,
                                  crypto::kTpmCertifySignatureOid});
  if (!der) {
    return http::ErrorResponse(der.error());
  }
  http::Response r{200,
                   "application/csrattrs",
                   {{"Content-Transfer-Encoding", "base64"}},
                   crypto::Base64Encode(*der, /*wrap=*/true)};
  return r;
}

}  // namespace anchor::est
