// SPDX-License-Identifier: Apache-2.0
// File: own_certificates.cc: renewal schedule and re-issuance of the CA's own certificates.
#include "home/own_certificates.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "ca/issuance_policy.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/chain_verifier.h"
#include "crypto/csr.h"
#include "crypto/key_file.h"
#include "home/home_files.h"

namespace anchor::home {
namespace {

using std::chrono::seconds;

// ReplaceKeyAndCertificate writes the key (0600) and the certificate file together: both are
// staged, then renamed, so a reader never finds one without the other.
Status ReplaceKeyAndCertificate(const std::string& key_path, const crypto::PrivateKey& key,
                                const std::string& cert_path, const std::string& cert_pem) {
  ANCHOR_ASSIGN_OR_RETURN(std::string key_pem, key.ToPkcs8Pem(nullptr));
  return WriteFilesTogether(
      {{key_path, std::move(key_pem), kPrivateKeyMode}, {cert_path, cert_pem, kPublicFileMode}});
}

bool IsName(const ca::NameRequest& names, const std::string& value) {
  return std::any_of(names.sans.begin(), names.sans.end(),
                     [&](const crypto::GeneralName& n) { return n.value == value; });
}

}  // namespace

Clock::time_point RenewalDue(Clock::time_point not_before, Clock::time_point not_after) {
  if (not_after <= not_before) {
    return not_before;
  }
  const Clock::time_point issued = not_after - not_before > ca::kClockSkewBackdate
                                       ? not_before + ca::kClockSkewBackdate
                                       : not_before;
  const auto life = std::chrono::duration_cast<seconds>(not_after - issued);
  return issued + seconds(static_cast<int64_t>(
                      std::floor(static_cast<double>(life.count()) * kRenewAtShare)));
}

std::chrono::seconds RetryDelay(int failures, std::chrono::system_clock::duration left) {
  constexpr seconds kFirst{10};
  constexpr seconds kMost{3600};
  const int doublings = std::clamp(failures - 1, 0, 16);
  const seconds backoff = std::min(kMost, kFirst * (int64_t{1} << doublings));
  const seconds tenth =
      std::max<seconds>(seconds(1), std::chrono::duration_cast<seconds>(left / 10));
  return std::min(backoff, tenth);
}

ca::NameRequest ServerNamesOf(const crypto::Certificate& cert) {
  return ca::NameRequest{cert.CommonName(), cert.SubjectAltNames()};
}

Result<ca::NameRequest> WithServerNames(const ca::NameRequest& current,
                                        const std::vector<crypto::GeneralName>& sans,
                                        bool replace) {
  ca::NameRequest out{current.common_name,
                      replace ? std::vector<crypto::GeneralName>{} : current.sans};
  for (const crypto::GeneralName& n : sans) {
    if (std::find(out.sans.begin(), out.sans.end(), n) == out.sans.end()) {
      out.sans.push_back(n);
    }
  }
  if (out.sans.empty()) {
    return Error(Code::kInvalidArgument,
                 "a server certificate needs at least one name; give it with --san dns:NAME");
  }
  if (out.sans.size() > kMaxServerNames) {
    return Error(Code::kInvalidArgument,
                 "a server certificate of this CA takes at most " +
                     std::to_string(kMaxServerNames) + " names, and this one would have " +
                     std::to_string(out.sans.size()) + "; use fewer --san (or --replace)");
  }
  if (!IsName(out, out.common_name)) {
    const auto dns = std::find_if(out.sans.begin(), out.sans.end(), [](const auto& n) {
      return n.kind == crypto::GeneralName::Kind::kDns;
    });
    out.common_name = (dns != out.sans.end() ? *dns : out.sans.front()).value;
  }
  return out;
}

std::optional<int> ServerCertificateDays(const ca::CaConfig& config) {
  const ca::ProfilePolicy& policy = config.PolicyFor(ca::Profile::kServer);
  if (policy.default_minutes > 0) {
    return std::nullopt;
  }
  return policy.max_days;
}

Result<FileLock> LockOwnCertificates(const CaPaths& paths) {
  return FileLock::Acquire(paths.home + "/" + kOwnCertificatesLock);
}

Result<FileLock> HoldServing(const CaPaths& paths) {
  return FileLock::AcquireShared(paths.home + "/" + kServingLock);
}

Status CheckServerCertificate(const std::string& cert_path, const crypto::Certificate& root,
                              const std::vector<crypto::Certificate>& intermediates,
                              Clock::time_point now, bool* expired) {
  if (expired != nullptr) {
    *expired = false;
  }
  const std::string fix = "; run `anchor ca server-cert` for one of this CA";
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(cert_path));
  Result<std::vector<crypto::Certificate>> chain = crypto::Certificate::ParseAll(pem);
  if (!chain) {
    return Error(Code::kFailedPrecondition, cert_path + ": " + chain.error().message() + fix);
  }
  // What follows the leaf is sent to clients as its chain: it must be ours.
  for (size_t i = 1; i < chain->size(); ++i) {
    const bool ours = std::any_of(intermediates.begin(), intermediates.end(), [&](const auto& c) {
      return c.Sha256Fingerprint() == (*chain)[i].Sha256Fingerprint();
    });
    if (!ours) {
      return Error(Code::kFailedPrecondition, cert_path + ": certificate " + std::to_string(i + 1) +
                                                  " (" + (*chain)[i].Subject() +
                                                  ") is not this CA's intermediate" + fix);
    }
  }
  crypto::VerifyOptions options;
  options.trusted = {root};
  options.untrusted = intermediates;
  options.purpose = crypto::Purpose::kServer;
  options.at = now;
  ANCHOR_ASSIGN_OR_RETURN(crypto::ChainVerdict verdict,
                          crypto::ValidatePath(chain->front(), options));
  if (!verdict.Ok()) {
    if (expired != nullptr) {
      *expired = verdict.failure->id == "certificate-expired" && verdict.failure->depth == 0;
    }
    return Error(Code::kFailedPrecondition,
                 cert_path + " would not verify for a client of this CA (serverAuth, chained to " +
                     root.Subject() + ", valid now): " + verdict.failure->Message() + fix);
  }
  return OkStatus();
}

std::vector<std::string> KeyFileWarnings(const CaPaths& paths) {
  // Every key the home holds, as home_files.h knows them: the retired and issuing generations'
  // keys under intermediates/ sign too.
  const Result<HomeListing> listing = ListHomeFiles(paths.home);
  if (!listing) {
    return {"cannot check the modes of the key files in " + paths.home + ": " +
            listing.error().message()};
  }
  std::vector<std::string> out;
  for (const HomeFile& f : listing->files) {
    struct stat st {};
    if (f.kind == HomeFileKind::kKey && ::stat(f.path.c_str(), &st) == 0 &&
        (st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      out.push_back(f.path + " is readable or writable by its group or others (mode " + mode +
                    "); a private key must be the owner's alone: run chmod 600 " + f.path);
    }
  }
  return out;
}

Result<crypto::Certificate> IssueServerCertificate(const FileLock& /*held*/,
                                                   ca::Authority& authority, const CaPaths& paths,
                                                   const ca::NameRequest& names,
                                                   std::optional<int> days) {
  ANCHOR_TRY(CheckWritable(paths.server_key));
  ANCHOR_TRY(CheckWritable(paths.server_crt));
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::PrivateKey::Generate(authority.config().key_type));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, crypto::Csr::Create(key, names.common_name, {}));
  // Issue runs CheckBeforeIssue (the chain to the root, serverAuth, lint) before it records.
  ANCHOR_ASSIGN_OR_RETURN(
      ca::Issued issued,
      authority.Issue(ca::IssueRequest{
          std::move(csr), ca::OperatorRequest{ca::Profile::kServer, days, names}, "server.crt"}));
  const std::string chain_pem = issued.cert.ToPem() + authority.intermediate().ToPem();
  // What will be written must read back as what was issued, for the key made here.
  ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> chain,
                          crypto::Certificate::ParseAll(chain_pem));
  if (chain.size() != 2 || chain[0].Sha256Fingerprint() != issued.cert.Sha256Fingerprint() ||
      !key.Public().Equals(chain[0].GetPublicKey())) {
    return Error(Code::kInternal, "the new server certificate does not read back as issued");
  }
  if (Status wrote = ReplaceKeyAndCertificate(paths.server_key, key, paths.server_crt, chain_pem);
      !wrote) {
    return Error(wrote.error().code(),
                 "server certificate " + issued.cert.SerialHex() + " is issued and recorded, but " +
                     wrote.error().message() + "; the previous one is still in place");
  }
  return issued.cert;
}

Result<OcspSigner> RenewOcspSigner(const FileLock& /*held*/, ca::Authority& authority,
                                   const CaPaths& paths, const crypto::Certificate& current) {
  ANCHOR_TRY(CheckWritable(paths.ocsp_key));
  ANCHOR_TRY(CheckWritable(paths.ocsp_crt));
  const auto life =
      std::chrono::duration_cast<std::chrono::hours>(current.NotAfter() - current.NotBefore());
  const int days = std::clamp(static_cast<int>((life.count() + 12) / 24), 1, 30);
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::PrivateKey::Generate(authority.config().key_type));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, authority.IssueOcspSigner(key.Public(), days));
  ANCHOR_TRY(ReplaceKeyAndCertificate(paths.ocsp_key, key, paths.ocsp_crt, cert.ToPem()));
  // Certified by the issuing intermediate: it signs for that generation.
  return OcspSigner{std::move(cert), std::move(key), authority.intermediate().Sha256Fingerprint()};
}

Status FinishInterruptedReplace(const FileLock& /*held*/, const std::string& key_path,
                                const std::string& cert_path) {
  const std::string key_new = key_path + kStagedSuffix;
  const std::string cert_new = cert_path + kStagedSuffix;
  if (FileExists(key_new)) {
    ::unlink(key_new.c_str());
    ::unlink(cert_new.c_str());
    return OkStatus();
  }
  if (FileExists(cert_new) && std::rename(cert_new.c_str(), cert_path.c_str()) != 0) {
    return Error(Code::kUnavailable,
                 "cannot finish writing " + cert_path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace anchor::home
