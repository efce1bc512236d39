// SPDX-License-Identifier: Apache-2.0
// File: est_client.cc: EST requests and the PKCS#7 answers.
#include "client/est_client.h"

#include <nlohmann/json.hpp>

#include "core/fingerprint.h"
#include "crypto/base64.h"
#include "crypto/chain_verifier.h"
#include "crypto/pkcs7.h"

namespace anchor::client {
namespace {

constexpr const char* kEst = "/.well-known/est/";

// CertsFromBody decodes an EST certs-only answer: base64 (RFC 7030 4.1.3) of a PKCS#7.
Result<std::vector<crypto::Certificate>> CertsFromBody(const std::string& what,
                                                       const HttpResult& result) {
  if (result.status != 200) {
    return ErrorFromResponse(what, result);
  }
  auto der = crypto::Base64Decode(result.body);
  if (!der) {
    return Error(Code::kUnavailable, what + ": the answer is not base64");
  }
  auto certs = crypto::CertsFromPkcs7(*der);
  if (!certs || certs->empty()) {
    return Error(Code::kUnavailable, what + ": the answer is not a certs-only PKCS#7");
  }
  return certs;
}

}  // namespace

Result<std::vector<crypto::Certificate>> EstClient::CaCerts() {
  ANCHOR_ASSIGN_OR_RETURN(HttpResult r, servers_.Send([&](const std::string& base) {
    return http_.Get(JoinUrl(base, kEst) + "cacerts");
  }));
  return CertsFromBody("cacerts", r);
}

Result<crypto::Certificate> EstClient::Enroll(const std::string& op, const crypto::Csr& csr,
                                              const std::vector<std::string>& headers) {
  const std::string body = crypto::Base64Encode(csr.ToDer(), /*wrap=*/true);
  // The same body goes to each replica tried: the same key, so that a replica that committed the
  // certificate but whose answer was lost is not paid twice (see EstClient).
  ANCHOR_ASSIGN_OR_RETURN(HttpResult r, servers_.Send([&](const std::string& base) {
    return http_.Post(JoinUrl(base, kEst) + op, "application/pkcs10", body, headers);
  }));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> certs, CertsFromBody(op, r));
  // The answer must be for the key we asked with; anything else is not ours to install.
  if (!certs.front().GetPublicKey().Equals(csr.GetPublicKey())) {
    return Error(Code::kUnavailable, op + ": the server returned a certificate for another key");
  }
  return std::move(certs.front());
}

Result<crypto::Certificate> EstClient::SimpleEnroll(const crypto::Csr& csr,
                                                    const SecretBytes& token) {
  std::vector<std::string> headers;
  if (!token.empty()) {
    headers.push_back("Authorization: Bearer " + std::string(token.data(), token.size()));
  }
  auto result = Enroll("simpleenroll", csr, headers);
  for (std::string& h : headers) {
    ::explicit_bzero(h.data(), h.size());
  }
  return result;
}

Result<crypto::Certificate> EstClient::SimpleReenroll(const crypto::Csr& csr) {
  return Enroll("simplereenroll", csr, {});
}

Result<crypto::Credential> EstClient::TpmChallenge(std::span<const uint8_t> ek_certificate,
                                                   std::span<const uint8_t> ak_public) {
  const std::string body = nlohmann::json{{"ek_certificate", crypto::Base64Encode(ek_certificate)},
                                          {"ak_public", crypto::Base64Encode(ak_public)}}
                               .dump();
  ANCHOR_ASSIGN_OR_RETURN(HttpResult r, servers_.Send([&](const std::string& base) {
    return http_.Post(JoinUrl(base, "/api/v1/attestation/challenge"), "application/json", body, {});
  }));
  const std::string what = "the TPM attestation challenge";
  if (r.status != 200) {
    return ErrorFromResponse(what, r);
  }
  const nlohmann::json answer = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  const auto field = [&](const char* name) -> Result<std::vector<uint8_t>> {
    if (!answer.is_object() || !answer.contains(name) || !answer[name].is_string()) {
      return Error(Code::kUnavailable, what + ": the answer has no '" + name + "'");
    }
    return crypto::Base64Decode(answer[name].get<std::string>());
  };
  crypto::Credential credential;
  ANCHOR_ASSIGN_OR_RETURN(credential.id_object, field("credential_blob"));
  ANCHOR_ASSIGN_OR_RETURN(credential.encrypted_secret, field("encrypted_secret"));
  return credential;
}

namespace {

// PinnedCa fetches cacerts from `servers` (failing over) and returns them as PEM, as the server
// sent them, if one is the certificate with SHA-256 `want` and every other chains to it; else
// kPermissionDenied naming the replica that answered.
Result<std::string> PinnedCa(HttpsClient& http, const ServerList& servers, const std::string& want,
                             const std::string& fingerprint) {
  EstClient est(http, servers);
  ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> certs, est.CaCerts());
  const std::string base_url = servers.Current();  // the replica that answered
  const crypto::Certificate* anchor = nullptr;
  for (const crypto::Certificate& c : certs) {
    if (c.Sha256Fingerprint() == want) {
      anchor = &c;
    }
  }
  if (anchor == nullptr) {
    return Error(Code::kPermissionDenied, "no certificate from " + base_url +
                                              " has the SHA-256 fingerprint " + fingerprint +
                                              "; check the fingerprint (anchor inspect root.crt)");
  }
  std::string pem;
  crypto::VerifyOptions verify;
  verify.trusted = {*anchor};
  for (const crypto::Certificate& c : certs) {
    if (&c != anchor) {
      auto ok = crypto::VerifyChain(c, verify);
      if (!ok) {
        return Error(Code::kPermissionDenied, "cacerts from " + base_url +
                                                  " holds a certificate that does not chain to "
                                                  "the fingerprinted one: " +
                                                  ok.error().message());
      }
    }
    pem += c.ToPem();
  }
  return pem;
}

}  // namespace

Result<std::string> FetchCaByFingerprint(const ServerList& servers, const std::string& fingerprint,
                                         bool allow_tls12) {
  ANCHOR_ASSIGN_OR_RETURN(const std::string want, ParseSha256Fingerprint(fingerprint));
  TlsOptions tls;
  tls.verify_server = false;  // the content is checked against the fingerprint instead
  tls.allow_tls12 = allow_tls12;
  ANCHOR_ASSIGN_OR_RETURN(HttpsClient http, HttpsClient::Create(tls));
  Result<std::string> pem = PinnedCa(http, servers, want, fingerprint);
  if (pem || pem.error().code() != Code::kPermissionDenied || servers.urls().size() == 1) {
    return pem;
  }
  // The replica that answered serves another CA (misconfigured, or spoofed: nothing is verified
  // yet): ask the others, each alone, so that it costs its turn, not the enrollment. The one that
  // serves the pinned root becomes current.
  const std::string refused = servers.Current();
  std::string why = pem.error().message();
  bool unavailable = false;  // one may come back: the caller retries rather than give up
  for (const std::string& url : servers.urls()) {
    if (url == refused) {
      continue;
    }
    Result<std::string> other = PinnedCa(http, ServerList(url), want, fingerprint);
    if (other) {
      ServerList(servers).Prefer(url);  // a handle: the callers' list follows
      return other;
    }
    unavailable = unavailable || other.error().code() == Code::kUnavailable;
    why += "; " + other.error().message();
  }
  return Error(unavailable ? Code::kUnavailable : Code::kPermissionDenied,
               "no replica served the CA with the pinned root: " + why);
}

}  // namespace anchor::client
