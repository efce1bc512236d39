// SPDX-License-Identifier: Apache-2.0
// File: device_enrollment.cc: enroll and renew over EST, and the files they write.
#include "agent/device_enrollment.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "client/est_client.h"
#include "core/exit_codes.h"
#include "core/file_io.h"
#include "crypto/csr.h"
#include "crypto/key_file.h"
#include "crypto/tpm2_key.h"
#include "crypto/tpm_attestor.h"
#include "crypto/tpm_evidence.h"

namespace anchor::agent {
namespace {

// ChainPems are the certificate followed by the intermediate that issued it, and the roots, from
// cacerts fetched over the verified connection.
struct ChainPems {
  std::string chain;
  std::string roots;
};

Result<ChainPems> FetchChainPems(client::EstClient& est, const crypto::Certificate& leaf) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> cas, est.CaCerts());
  ChainPems out{leaf.ToPem(), ""};
  for (const crypto::Certificate& c : cas) {
    if (c.IsSelfIssued()) {
      out.roots += c.ToPem();
    } else if (leaf.IsIssuedBy(c)) {
      // During an intermediate rotation cacerts holds two; the chain takes the leaf's own.
      out.chain += c.ToPem();
    }
  }
  if (out.roots.empty()) {
    return Error(Code::kUnavailable, "cacerts from the server holds no root certificate");
  }
  // Installing the leaf alone would leave a chain that peers given only the root cannot verify.
  if (out.chain == leaf.ToPem()) {
    return Error(Code::kUnavailable,
                 "cacerts from the server holds no intermediate that issued the new certificate (" +
                     leaf.Issuer() + "); nothing was written, try again later");
  }
  return out;
}

// Connect makes a client of the server verified with `ca_pem`, presenting `cert` and `key` as
// its client certificate when they are given; `loaded`, when given, is that key already loaded
// (a TPM's, which signs the handshake there), and `key` is not read.
Result<client::HttpsClient> Connect(const ServerTrust& trust, const std::string& ca_pem,
                                    const std::string& cert, const std::string& key,
                                    const crypto::PrivateKey* loaded = nullptr) {
  client::TlsOptions tls;
  tls.ca_pem = ca_pem;
  tls.cert_file = cert;
  tls.key_file = key;
  if (loaded != nullptr) {
    tls.client_key = *loaded;
  }
  tls.allow_tls12 = trust.allow_tls12;
  return client::HttpsClient::Create(std::move(tls));
}

// Install writes what an enrollment or renewal produced as one group: nothing is replaced
// unless the new key (when there is one), chain and roots are all on disk, so a full disk
// leaves the working pair as it was. The key goes first, so that a crash between the renames
// leaves what RecoverInterruptedInstall can finish.
Status Install(const DeviceFiles& files, const crypto::PrivateKey* new_key, const ChainPems& pems) {
  std::vector<PendingFile> group;
  if (new_key != nullptr) {
    ANCHOR_ASSIGN_OR_RETURN(std::string pem, crypto::PrivateKeyFilePem(*new_key, nullptr));
    group.push_back({files.key, std::move(pem), kPrivateKeyMode});
  }
  group.push_back({files.cert, pems.chain, kPublicFileMode});
  if (!files.ca_out.empty()) {
    group.push_back({files.ca_out, pems.roots, kPublicFileMode});
  }
  const Status st = WriteFilesTogether(group);
  if (new_key != nullptr) {
    ::explicit_bzero(group.front().content.data(), group.front().content.size());
  }
  return st;
}

std::string Staged(const std::string& path) { return path + kStagedSuffix; }

// kEnrollingSuffix names "<key>.enrolling": a key made for an enrollment that has not been
// answered yet. It is kept until the enrollment succeeds, so that a retry after a lost answer
// (the server committed the certificate, the connection dropped) asks again for the same key,
// which the server answers with the certificate already issued for it; a new key would be
// refused (the token is used) and the device stranded.
constexpr const char* kEnrollingSuffix = ".enrolling";

// NewDeviceKey makes a key of `type` here, or inside the TPM.
Result<crypto::PrivateKey> NewDeviceKey(const std::string& type, bool in_tpm) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::KeyType key_type, crypto::ParseKeyType(type));
  return in_tpm ? crypto::GenerateTpm2Key(key_type) : crypto::PrivateKey::Generate(key_type);
}

// KeyForEnrollment loads the device's key, or the key of an unanswered enrollment, or makes
// one and keeps it (0600, atomically; a TPM's sealed blob) as that before anything is sent.
Result<crypto::PrivateKey> KeyForEnrollment(const std::string& path, const std::string& type,
                                            bool generate, bool in_tpm) {
  if (!generate) {
    return crypto::LoadPrivateKeyFile(path, nullptr);
  }
  const std::string enrolling = path + kEnrollingSuffix;
  if (FileExists(enrolling)) {
    return crypto::LoadPrivateKeyFile(enrolling, nullptr);
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, NewDeviceKey(type, in_tpm));
  ANCHOR_TRY(crypto::WritePrivateKeyFile(enrolling, key, nullptr));
  return key;
}

// AttestedKey is a key in the TPM and the evidence that it is there: the TPM shows its
// endorsement key certificate and attestation key to the CA, activates the credential the CA
// answers with, and certifies with the secret it held the key of `kept_pem` (a TSS2 PRIVATE KEY
// kept from an earlier attempt), or else a new key of `type`. The TPM is left (every object
// flushed, the connection closed) before the key is loaded again to sign: a TPM without a
// resource manager serves one connection at a time.
struct Attested {
  std::string key_pem;  // TSS2 PRIVATE KEY
  crypto::TpmEvidence evidence;
};
Result<Attested> AttestedKey(client::EstClient& est, const std::string& type,
                             const std::optional<std::string>& kept_pem = std::nullopt) {
  ANCHOR_ASSIGN_OR_RETURN(const crypto::KeyType key_type, crypto::ParseKeyType(type));
  ANCHOR_ASSIGN_OR_RETURN(crypto::TpmAttestor tpm, crypto::TpmAttestor::Open(crypto::Tpm2Tcti()));
  Attested out;
  ANCHOR_ASSIGN_OR_RETURN(out.evidence.ek_certificate, tpm.EndorsementCertificate());
  ANCHOR_ASSIGN_OR_RETURN(out.evidence.ak_public, tpm.AttestationKeyPublic());
  ANCHOR_ASSIGN_OR_RETURN(const crypto::Credential credential,
                          est.TpmChallenge(out.evidence.ek_certificate, out.evidence.ak_public));
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<uint8_t> secret, tpm.ActivateCredential(credential));
  ANCHOR_ASSIGN_OR_RETURN(crypto::CertifiedKey key, kept_pem
                                                        ? tpm.CertifyKey(*kept_pem, secret)
                                                        : tpm.CreateCertifiedKey(key_type, secret));
  out.key_pem = std::move(key.tss2_pem);
  out.evidence.key_public = std::move(key.key_public);
  out.evidence.certify_info = std::move(key.attest);
  out.evidence.signature = std::move(key.signature);
  return out;
}

// KeyAndCsr is the key an enrollment asks a certificate for, and its CSR.
struct KeyAndCsr {
  crypto::PrivateKey key;
  crypto::Csr csr;
};

// AttestedRequest is Enroll's request with an attested key. The key of an unanswered
// enrollment (kept as "<key>.enrolling", KeyForEnrollment) is attested again for a new
// challenge: the server answers a retry of a paid token with the certificate it issued, and
// issues one, attested, when the earlier attempt never reached it. Else a new key is made and
// kept so before anything else is sent.
Result<KeyAndCsr> AttestedRequest(const EnrollRequest& request, client::EstClient& est) {
  const std::string enrolling = request.files.key + kEnrollingSuffix;
  std::optional<std::string> kept;
  if (FileExists(enrolling)) {
    ANCHOR_ASSIGN_OR_RETURN(kept, ReadFile(enrolling));
  }
  ANCHOR_ASSIGN_OR_RETURN(const Attested attested, AttestedKey(est, request.key_type, kept));
  if (!kept) {
    ANCHOR_TRY(WriteFileAtomic(enrolling, attested.key_pem, kPrivateKeyMode, /*exclusive=*/true));
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::LoadTpm2Key(attested.key_pem));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr,
                          crypto::Csr::Create(key, request.common_name, request.sans,
                                              crypto::TpmEvidenceAttributes(attested.evidence)));
  return KeyAndCsr{std::move(key), std::move(csr)};
}

// RequestFor is Enroll's key and CSR: attested (AttestedRequest), or the key KeyForEnrollment
// gives.
Result<KeyAndCsr> RequestFor(const EnrollRequest& request, bool generate, client::EstClient& est) {
  if (request.attest) {
    return AttestedRequest(request, est);
  }
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::PrivateKey key,
      KeyForEnrollment(request.files.key, request.key_type, generate, request.in_tpm));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr,
                          crypto::Csr::Create(key, request.common_name, request.sans));
  return KeyAndCsr{std::move(key), std::move(csr)};
}

}  // namespace

Result<std::string> ServerCaPem(const ServerTrust& trust) {
  if (!trust.ca_cert.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(trust.ca_cert));
    auto certs = crypto::Certificate::ParseAll(pem);
    if (!certs || certs->empty()) {
      return Error(Code::kInvalidArgument, trust.ca_cert + ": holds no PEM certificate");
    }
    return pem;
  }
  if (!trust.fingerprint.empty()) {
    return client::FetchCaByFingerprint(trust.servers, trust.fingerprint, trust.allow_tls12);
  }
  return Error(Code::kInvalidArgument,
               "give --ca-cert FILE or --fingerprint SHA256 so the server can be verified");
}

Result<SecretBytes> ReadToken(const std::string& flag, const std::string& file) {
  if (!file.empty()) {
    return ReadSecretLine(file);
  }
  if (!flag.empty()) {
    return SecretBytes(flag);
  }
  if (const char* env = std::getenv("ANCHOR_TOKEN"); env != nullptr && *env != '\0') {
    return SecretBytes(std::string_view(env));
  }
  return SecretBytes();
}

Status RecoverInterruptedInstall(const DeviceFiles& files) {
  const std::string key_new = Staged(files.key), cert_new = Staged(files.cert);
  const std::string ca_new = files.ca_out.empty() ? "" : Staged(files.ca_out);
  const auto finish = [](const std::string& staged, const std::string& path) -> Status {
    if (::rename(staged.c_str(), path.c_str()) != 0) {
      return Error(Code::kUnavailable,
                   "cannot finish writing " + path + ": " + std::strerror(errno));
    }
    return OkStatus();
  };
  if (FileExists(key_new)) {
    // Stopped before the first rename: nothing changed, and the staged files are forgotten.
    for (const std::string& f : {key_new, cert_new, ca_new}) {
      ::unlink(f.c_str());
    }
    return OkStatus();
  }
  if (FileExists(cert_new)) {
    // The key was replaced (or kept) and the chain was not: finish if they belong together.
    auto key = crypto::LoadPrivateKeyFile(files.key, nullptr);
    auto staged = crypto::LoadCertificateFile(cert_new);
    if (!key || !staged || !key->Public().Equals(staged->GetPublicKey())) {
      ::unlink(cert_new.c_str());
      ::unlink(ca_new.c_str());
      return OkStatus();
    }
    ANCHOR_TRY(finish(cert_new, files.cert));
  }
  if (!ca_new.empty() && FileExists(ca_new)) {
    ANCHOR_TRY(finish(ca_new, files.ca_out));
  }
  return OkStatus();
}

Status CheckDistinct(const DeviceFiles& files) {
  // The key, the chain and the roots are each renamed into place: two of them on one path
  // would leave the last one written there, and the key lost with a certificate recorded.
  const auto same_file = [](const std::string& a, const std::string& b) {
    std::error_code ec;
    const auto resolved = [&ec](const std::string& p) {
      return std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
    };
    return resolved(a) == resolved(b);
  };
  const std::vector<std::pair<const char*, std::string>> named = {
      {"--key", files.key}, {"--cert", files.cert}, {"--ca-out", files.ca_out}};
  for (size_t i = 0; i < named.size(); ++i) {
    for (size_t j = i + 1; j < named.size(); ++j) {
      if (!named[i].second.empty() && !named[j].second.empty() &&
          same_file(named[i].second, named[j].second)) {
        return Error(Code::kInvalidArgument,
                     std::string(named[i].first) + " and " + named[j].first +
                         " name the same file (" + named[j].second +
                         "); the key, the certificate and the roots are kept "
                         "in separate files");
      }
    }
  }
  return OkStatus();
}

Result<EnrollResult> Enroll(const EnrollRequest& request) {
  ANCHOR_TRY(CheckDistinct(request.files));
  if (request.token.empty() && request.factory_cert.empty()) {
    return Error(Code::kInvalidArgument,
                 "give a one-time token (--token-file, --token or $ANCHOR_TOKEN) or "
                 "--factory-cert/--factory-key");
  }
  const bool generate = !FileExists(request.files.key);
  if (request.attest && !generate) {
    return Error(Code::kInvalidArgument,
                 request.files.key +
                     " exists; --attest proves a key made for this enrollment in the TPM: give "
                     "a --key path where there is none");
  }
  ANCHOR_ASSIGN_OR_RETURN(const std::string ca_pem, ServerCaPem(request.trust));
  ANCHOR_ASSIGN_OR_RETURN(
      client::HttpsClient http,
      Connect(request.trust, ca_pem, request.factory_cert, request.factory_key));
  client::EstClient est(http, request.trust.servers);
  ANCHOR_ASSIGN_OR_RETURN(const KeyAndCsr asked, RequestFor(request, generate, est));
  // With several replicas, a simpleenroll that one replica committed but whose answer was lost
  // (a timeout after the request was sent, a replica killed after its commit) goes to the next
  // with the same token and the same key: the database they share has the token as used by this
  // key, and the replica answers with the certificate issued then (Authority::IssuedBefore), so
  // a failover never spends a second token nor strands the device. A 4xx is not sent elsewhere.
  auto enrolled = est.SimpleEnroll(asked.csr, request.token);
  if (!enrolled && generate && !IsTemporary(enrolled.error())) {
    // Refused for good (a bad or used token, policy): no certificate exists for this key, and
    // none will, so it is not kept; only an attempt that may have been answered keeps it.
    (void)::unlink((request.files.key + kEnrollingSuffix).c_str());
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, std::move(enrolled));
  ANCHOR_ASSIGN_OR_RETURN(ChainPems pems, FetchChainPems(est, cert));
  ANCHOR_TRY(Install(request.files, generate ? &asked.key : nullptr, pems));
  if (generate) {
    (void)::unlink((request.files.key + kEnrollingSuffix).c_str());  // installed as the key
  }
  return EnrollResult{std::move(cert), generate};
}

Result<crypto::Certificate> Renew(const RenewRequest& request) {
  ANCHOR_TRY(CheckDistinct(request.files));
  ANCHOR_TRY(RecoverInterruptedInstall(request.files));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate current,
                          crypto::LoadCertificateFile(request.files.cert));
  ANCHOR_ASSIGN_OR_RETURN(const std::string ca_pem, ServerCaPem(request.trust));
  // The attested key is made before the current key is loaded: the TPM may serve one
  // connection at a time (AttestedKey). The challenge needs no client certificate.
  std::optional<Attested> attested;
  if (request.attest) {
    ANCHOR_ASSIGN_OR_RETURN(client::HttpsClient anonymous, Connect(request.trust, ca_pem, "", ""));
    client::EstClient challenge(anonymous, request.trust.servers);
    ANCHOR_ASSIGN_OR_RETURN(attested, AttestedKey(challenge, request.key_type));
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey old_key,
                          crypto::LoadPrivateKeyFile(request.files.key, nullptr));
  if (!old_key.Public().Equals(current.GetPublicKey())) {
    return Error(Code::kInvalidArgument,
                 request.files.key + " is not the key of " + request.files.cert);
  }
  crypto::PrivateKey key = old_key;
  if (attested) {
    ANCHOR_ASSIGN_OR_RETURN(key, crypto::LoadTpm2Key(attested->key_pem));
  } else if (request.rekey) {
    // A device whose key is in its TPM keeps its keys there.
    const bool in_tpm = request.in_tpm || crypto::Tpm2KeyPem(old_key).has_value();
    ANCHOR_ASSIGN_OR_RETURN(key, NewDeviceKey(request.key_type, in_tpm));
  }
  //= https://www.rfc-editor.org/rfc/rfc7030#section-4.2.2
  //# the Subject field and SubjectAltName extension MUST be identical to the corresponding
  //# fields in the certificate being renewed or rekeyed.
  // The names as anchor writes them now (an older certificate may spell them otherwise).
  std::vector<crypto::GeneralName> sans;
  for (const crypto::GeneralName& san : current.SubjectAltNames()) {
    auto normal = crypto::NormalizeGeneralName(san);
    if (!normal) {
      return Error(Code::kFailedPrecondition,
                   request.files.cert + " carries a name anchor no longer issues (" +
                       normal.error().message() + "); enroll again with a token");
    }
    sans.push_back(std::move(normal).value());
  }
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::Csr csr,
      crypto::Csr::Create(key, current.CommonName(), sans,
                          attested ? crypto::TpmEvidenceAttributes(attested->evidence)
                                   : std::vector<crypto::CsrAttribute>{}));
  ANCHOR_ASSIGN_OR_RETURN(
      client::HttpsClient http,
      Connect(request.trust, ca_pem, request.files.cert, request.files.key, &old_key));
  client::EstClient est(http, request.trust.servers);
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate renewed, est.SimpleReenroll(csr));
  // cacerts is public, and is fetched without the client certificate: the one being renewed
  // may have expired, and the server then accepts it at simplereenroll alone (within the
  // renewal grace period) and refuses it everywhere else.
  ANCHOR_ASSIGN_OR_RETURN(client::HttpsClient anonymous, Connect(request.trust, ca_pem, "", ""));
  client::EstClient public_est(anonymous, request.trust.servers);
  ANCHOR_ASSIGN_OR_RETURN(ChainPems pems, FetchChainPems(public_est, renewed));
  ANCHOR_TRY(Install(request.files, request.rekey || attested ? &key : nullptr, pems));
  return renewed;
}

}  // namespace anchor::agent
