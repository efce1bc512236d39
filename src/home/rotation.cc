// SPDX-License-Identifier: Apache-2.0
// File: rotation.cc: a new intermediate generation, signed here or by the offline root.
#include "home/rotation.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "ca/ca_templates.h"
#include "ca/generation.h"
#include "ca/issuance_check.h"
#include "ca/issuer_constraints.h"
#include "ca/serial_number.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/cert_builder.h"
#include "crypto/key_file.h"
#include "home/ca_key.h"
#include "home/intermediates.h"

namespace anchor::home {
namespace {

constexpr std::string_view kRootSuffix = " Root CA";
constexpr std::string_view kIntermediateInfix = " Intermediate CA G";

Status CheckDays(int days) {
  if (days < 1 || days > 36500) {
    return Error(Code::kInvalidArgument, "--days must be between 1 and 36500");
  }
  return OkStatus();
}

// NoPending refuses a second rotation while one waits for the offline root's signature.
Status NoPending(const CaHome& home) {
  ANCHOR_ASSIGN_OR_RETURN(const std::optional<int> pending, PendingGeneration(home.paths().home));
  if (pending) {
    return Error(Code::kAlreadyExists,
                 "intermediate generation " + std::to_string(*pending) +
                     " is pending (its key is in " + FilesOf(home.paths().home, *pending).dir +
                     ", its certificate is not): install it with `anchor ca rotate --install "
                     "FILE`, or remove that directory to start again");
  }
  return OkStatus();
}

// Undo says what a SwitchIn that fails before the switch takes away again.
enum class Undo {
  kGeneration,   // the whole generation: its key was made for this rotation alone
  kCertificate,  // only the certificate written: the key is pending's, and the offline root's
                 // signed certificate needs it (else the ceremony must be repeated)
};

// SwitchIn writes generation `number`'s certificate (its key is written), switches it in and
// audits the rotation; on failure before the switch, `undo` says what is removed.
Result<Rotated> SwitchIn(CaHome& home, int number, const crypto::Certificate& cert,
                         const Clock& clock, Undo undo) {
  const std::string& dir = home.paths().home;
  Status st = WriteGenerationCertificate(dir, number, cert);
  if (st) {
    st = SwitchTo(dir, number);
  }
  if (!st) {
    // Still the old generation's: nothing switched (SwitchTo's last step is the one rename, and
    // RemoveGeneration never takes the generation `current` names).
    if (undo == Undo::kGeneration) {
      RemoveGeneration(dir, number);
    } else if (const Result<int> current = CurrentGeneration(dir); current && *current != number) {
      ::unlink(FilesOf(dir, number).cert.c_str());  // pending again: install can be retried
    }
    return st.error();
  }
  Rotated rotated{home.generation(), number, cert};
  ANCHOR_TRY(home.store().AppendAudit(
      "rotate", cert.SerialHex(), cert.Subject(),
      "generation=" + std::to_string(number) + " retired=" + std::to_string(rotated.retired),
      UnixSeconds(clock.Now())));
  return rotated;
}

// GenerationInName reads n from "<name> Intermediate CA G<n>" of the CA whose root is
// "<name> Root CA"; nullopt when the CN is not that.
std::optional<int> GenerationInName(const std::string& cn, const crypto::Certificate& root) {
  const std::string root_cn = root.CommonName();
  if (!root_cn.ends_with(kRootSuffix)) {
    return std::nullopt;
  }
  const std::string prefix =
      root_cn.substr(0, root_cn.size() - kRootSuffix.size()) + std::string(kIntermediateInfix);
  if (!cn.starts_with(prefix) || cn.size() == prefix.size() || cn[prefix.size()] == '0') {
    return std::nullopt;
  }
  int n = 0;
  const char* first = cn.data() + prefix.size();
  const char* last = cn.data() + cn.size();
  const auto [end, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || end != last || n < 2) {
    return std::nullopt;
  }
  return n;
}

// InheritedKeyUri is --key-uri with what it leaves out (module-path, pin-source) taken from the
// issuing generation's URI, when that key is in a token too: a rotation keeps finding its
// module and its PIN as the generation before did (a running `anchor serve` could not take up
// a key whose PIN it cannot find).
Result<std::string> InheritedKeyUri(const CaHome& home, const std::string& key_uri) {
  auto uri = crypto::ParsePkcs11KeyUri(key_uri);
  if (!uri) {
    return uri.error().Prefixed("--key-uri");
  }
  auto current = ReadFile(home.issuing_files().key);
  if (!current || !crypto::IsPkcs11Uri(*current)) {
    return key_uri;
  }
  auto before = crypto::ParsePkcs11KeyUri(*current);
  if (!before) {
    return key_uri;
  }
  if (uri->module_path.empty()) {
    uri->module_path = before->module_path;
  }
  if (uri->pin_source.empty()) {
    uri->pin_source = before->pin_source;
  }
  return uri->ToString();
}

// NewKey makes the next generation's key: in the token of --key-uri (noted in `made`) or in
// memory, of --key-type or else anchor.toml's key type.
Result<crypto::PrivateKey> NewKey(const CaHome& home, const RotateOptions& options,
                                  MadeKeys& made) {
  std::string key_uri = options.key_uri;
  if (!key_uri.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(key_uri, InheritedKeyUri(home, key_uri));
  }
  return MakeCaKey(key_uri, options.key_type.value_or(home.config().key_type), "--key-uri", made);
}

Result<Rotated> SignAndSwitch(CaHome& home, const crypto::PrivateKey& root_key,
                              crypto::PrivateKey key, int number, const RotateOptions& options,
                              Clock::time_point now, const Clock& clock, Rng& rng) {
  const crypto::Certificate& root = home.root();
  const std::string& dir = home.paths().home;
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> serial, ca::NewSerial(rng));
  crypto::CertTemplate tmpl =
      ca::IntermediateTemplate(home.config().name, std::move(serial), now, options.days,
                               root.NotAfter(), PermittedDnsOf(home.intermediate()));
  tmpl.common_name = ca::IntermediateCommonName(home.config().name, number);
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                          crypto::SignCertificate(tmpl, key.Public(), &root, root_key));
  // Checked as `anchor init` checks its intermediate, before anything is written.
  ANCHOR_TRY(ca::Verdict(ca::CheckBeforeIssue(cert, ca::IssuanceCheck{{root}, std::nullopt, now})));
  if (Status st = WriteGenerationKey(dir, number, key, options.passphrase); !st) {
    RemoveGeneration(dir, number);
    return st.error();
  }
  return SwitchIn(home, number, cert, clock, Undo::kGeneration);
}

}  // namespace

std::vector<std::string> PermittedDnsOf(const crypto::Certificate& intermediate) {
  std::vector<std::string> names = ca::IssuerConstraints::Of({intermediate}).PermittedDnsNames();
  std::sort(names.begin(), names.end());
  return names;
}

Result<Rotated> RotateIntermediate(CaHome& home, const crypto::PrivateKey& root_key,
                                   const RotateOptions& options, const Clock& clock, Rng& rng) {
  ANCHOR_TRY(CheckDays(options.days));
  const crypto::Certificate& root = home.root();
  if (!root_key.Public().Equals(root.GetPublicKey())) {
    return Error(Code::kInvalidArgument,
                 "the root key given is not the key of " + home.paths().root_crt);
  }
  ANCHOR_TRY(NoPending(home));
  const std::string& dir = home.paths().home;
  ANCHOR_ASSIGN_OR_RETURN(const int number, NextGeneration(dir));
  const Clock::time_point now = clock.Now();
  MadeKeys made;
  auto rotated = [&]() -> Result<Rotated> {
    ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, NewKey(home, options, made));
    return SignAndSwitch(home, root_key, std::move(key), number, options, now, clock, rng);
  }();
  if (!rotated) {
    made.Undo();
  }
  return rotated;
}

Result<crypto::Csr> PrepareRotation(CaHome& home, const RotateOptions& options) {
  ANCHOR_TRY(NoPending(home));
  const std::string& dir = home.paths().home;
  ANCHOR_ASSIGN_OR_RETURN(const int number, NextGeneration(dir));
  MadeKeys made;
  auto csr = [&]() -> Result<crypto::Csr> {
    ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, NewKey(home, options, made));
    ANCHOR_ASSIGN_OR_RETURN(
        crypto::Csr csr,
        crypto::Csr::Create(key, ca::IntermediateCommonName(home.config().name, number), {}));
    if (Status st = WriteGenerationKey(dir, number, key, options.passphrase); !st) {
      RemoveGeneration(dir, number);
      return st.error();
    }
    return csr;
  }();
  if (!csr) {
    made.Undo();
  }
  return csr;
}

Result<crypto::Certificate> SignIntermediate(const IntermediateRequest& request,
                                             const crypto::Certificate& root,
                                             const crypto::PrivateKey& root_key, const Clock& clock,
                                             Rng& rng) {
  ANCHOR_TRY(CheckDays(request.days));
  if (!root_key.Public().Equals(root.GetPublicKey())) {
    return Error(Code::kInvalidArgument, "the root key is not the key of the root certificate");
  }
  ANCHOR_TRY(request.csr.VerifySignature());  // proof of possession, before anything is read
  const std::string cn = request.csr.CommonName();
  if (!GenerationInName(cn, root)) {
    const std::string root_cn = root.CommonName();
    return Error(Code::kInvalidArgument,
                 "the request names '" + cn + "', not an intermediate of '" + root_cn +
                     "' (made by `anchor ca rotate --request-out` of that CA)");
  }
  const std::string name =
      root.CommonName().substr(0, root.CommonName().size() - kRootSuffix.size());
  const Clock::time_point now = clock.Now();
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> serial, ca::NewSerial(rng));
  crypto::CertTemplate tmpl = ca::IntermediateTemplate(name, std::move(serial), now, request.days,
                                                       root.NotAfter(), request.permitted_dns);
  tmpl.common_name = cn;
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::Certificate cert,
      crypto::SignCertificate(tmpl, request.csr.GetPublicKey(), &root, root_key));
  ANCHOR_TRY(ca::Verdict(ca::CheckBeforeIssue(cert, ca::IssuanceCheck{{root}, std::nullopt, now})));
  return cert;
}

Result<Rotated> InstallRotation(CaHome& home, const crypto::Certificate& cert,
                                const SecretBytes* passphrase, const Clock& clock) {
  const std::string& dir = home.paths().home;
  ANCHOR_ASSIGN_OR_RETURN(const std::optional<int> pending, PendingGeneration(dir));
  if (!pending) {
    return Error(Code::kFailedPrecondition,
                 "no rotation is pending in " + dir +
                     "; start one with `anchor ca rotate --request-out FILE`");
  }
  const GenerationFiles files = FilesOf(dir, *pending);
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::LoadPrivateKeyFile(files.key, passphrase));
  const bool matches = key.Public().Equals(cert.GetPublicKey());
  if (!matches) {
    return Error(Code::kInvalidArgument,
                 "this certificate is not for the key of pending generation " +
                     std::to_string(*pending) + " (" + files.key + ")");
  }
  const Clock::time_point now = clock.Now();
  if (Status st = ca::Verdict(
          ca::CheckBeforeIssue(cert, ca::IssuanceCheck{{home.root()}, std::nullopt, now}));
      !st) {
    return st.error().Prefixed("the new intermediate is refused");
  }
  if (!cert.IsCa() || GenerationInName(cert.CommonName(), home.root()) != *pending) {
    return Error(Code::kInvalidArgument,
                 "the certificate is not intermediate generation " + std::to_string(*pending) +
                     " of this CA (its CN should be '" +
                     ca::IntermediateCommonName(home.config().name, *pending) + "')");
  }
  if (PermittedDnsOf(cert) != PermittedDnsOf(home.intermediate())) {
    return Error(Code::kInvalidArgument, "the new intermediate's DNS name constraints (" +
                                             Join(PermittedDnsOf(cert), ", ") +
                                             ") differ from the issuing one's (" +
                                             Join(PermittedDnsOf(home.intermediate()), ", ") +
                                             "); sign it again with those --permit-dns");
  }
  return SwitchIn(home, *pending, cert, clock, Undo::kCertificate);
}

}  // namespace anchor::home
