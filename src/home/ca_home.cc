// SPDX-License-Identifier: Apache-2.0
// File: ca_home.cc: `anchor init` and opening a CA home.
#include "home/ca_home.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "ca/ca_templates.h"
#include "ca/issuance_check.h"
#include "ca/serial_number.h"
#include "core/deferred_signals.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/cert_builder.h"
#include "crypto/key_file.h"
#include "home/ca_key.h"
#include "home/home_files.h"
#include "home/intermediates.h"
#include "home/offline_root.h"
#include "names/dns_name.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace anchor::home {
namespace {

using namespace anchor::ca;  // NOLINT: the authority's templates and checks, used throughout

namespace fs = std::filesystem;

bool IsNonEmptyDirectoryOrFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return false;
  }
  return !fs::is_directory(path, ec) || !fs::is_empty(path, ec);
}

// IssueLocal issues a key and certificate for the CA's own use (server, admin) and writes them.
Status IssueLocal(Authority& authority, crypto::KeyType type, Profile profile, NameRequest names,
                  int days, const std::string& cert_path, const std::string& key_path) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(type));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, crypto::Csr::Create(key, names.common_name, {}));
  ANCHOR_ASSIGN_OR_RETURN(
      Issued issued,
      authority.Issue(IssueRequest{std::move(csr), OperatorRequest{profile, days, names}}));
  ANCHOR_TRY(crypto::WritePrivateKeyFile(key_path, key, nullptr));
  return WriteFileAtomic(cert_path, issued.cert.ToPem() + authority.intermediate().ToPem(),
                         kPublicFileMode);
}

// ServerNames are the CA server certificate's names: localhost, 127.0.0.1, ::1 and the --san
// names. Defaults that the CA's own name constraints exclude are left out (a note says so) and
// the CN becomes the first name kept; a --san name they exclude is refused by policy.
Result<NameRequest> ServerNames(const InitOptions& options, const IssuerConstraints& constraints,
                                std::vector<std::string>& notes) {
  NameRequest names{"", {}};
  std::vector<std::string> left_out;
  for (const char* n : {"dns:localhost", "ip:127.0.0.1", "ip:::1"}) {
    crypto::GeneralName name = crypto::ParseGeneralName(n).value();
    if (constraints.Admits({"", {name}})) {
      names.sans.push_back(std::move(name));
    } else {
      left_out.push_back(name.value);
    }
  }
  for (const std::string& san : options.server_sans) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::GeneralName name, crypto::ParseGeneralName(san));
    names.sans.push_back(std::move(name));
  }
  if (!left_out.empty()) {
    notes.push_back("the server certificate leaves out " + Join(left_out, ", ") +
                    ", outside the CA's name constraints; name the CA server with --san");
  }
  if (names.sans.empty()) {
    return Error(Code::kInvalidArgument,
                 "the name constraints leave the CA server certificate no name; give one with "
                 "--san dns:NAME");
  }
  // The CN is the first DNS name. Without one, under DNS constraints the certificate needs a
  // DNS name within them all the same (GnuTLS holds a server certificate's CN to them): it is
  // named "ca." under the first permitted name until the operator names it with --san.
  const auto dns = std::find_if(names.sans.begin(), names.sans.end(), [](const auto& n) {
    return n.kind == crypto::GeneralName::Kind::kDns;
  });
  const std::vector<std::string> permitted = constraints.PermittedDnsNames();
  if (dns != names.sans.end()) {
    names.common_name = dns->value;
  } else if (!permitted.empty()) {
    const std::string& base = permitted.front();
    names.common_name = "ca" + std::string(base.starts_with('.') ? "" : ".") + base;
    names.sans.insert(names.sans.begin(), {crypto::GeneralName::Kind::kDns, names.common_name});
    notes.push_back("the CA server certificate is named " + names.common_name +
                    " until you name it with --san dns:NAME");
  } else {
    names.common_name = options.name + " CA server";
  }
  return names;
}

Result<std::vector<std::string>> PermittedDns(const InitOptions& options) {
  std::vector<std::string> out;
  for (const std::string& dns : options.permitted_dns) {
    auto normal = names::NormalizeDnsName(dns, names::Wildcard::kRefuse);
    if (!normal) {
      return normal.error().Prefixed("--permit-dns " + dns);
    }
    out.push_back(*normal);
  }
  return out;
}

// CheckNoCertificates refuses a store that already holds certificates: `anchor init` on a
// PostgreSQL database another CA (or an earlier init) uses would mix two CAs' records.
Status CheckNoCertificates(store::Store& store, const std::string& url) {
  ANCHOR_ASSIGN_OR_RETURN(const int64_t count, store.CountCertificates());
  if (count > 0) {
    return Error(Code::kAlreadyExists, "the database " + url + " already holds " +
                                           std::to_string(count) +
                                           " certificates of a CA; give an empty database");
  }
  return OkStatus();
}

// MoveRecordsTo moves the records `anchor init` wrote to anchor.db in `staging` into the
// PostgreSQL database `url`, in one transaction that refuses a database holding records
// (Store::Import), and removes anchor.db: the home keeps no store of its own.
Status MoveRecordsTo(const CaPaths& staging, const std::string& url) {
  {
    ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> local,
                            store::OpenSqliteStore(staging.db));
    ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> target,
                            OpenStore(staging, StoreSettings{url}));
    ANCHOR_TRY(local->Export([&target, &url](const store::StoreContents& contents) -> Status {
      if (Status imported = target->Import(contents); !imported) {
        if (imported.error().code() == Code::kAlreadyExists) {
          return Error(Code::kAlreadyExists,
                       "the database " + url + " holds records already; give an empty database");
        }
        return imported.error();
      }
      return OkStatus();
    }));
  }
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(staging.db + suffix, ec);
  }
  return OkStatus();
}

Status BuildCa(const CaPaths& paths, const InitOptions& options, const Clock& clock, Rng& rng,
               std::vector<std::string>& notes, MadeKeys& token_keys) {
  const Clock::time_point now = clock.Now();
  CaConfig config = CaConfig::Defaults();
  config.name = options.name;
  config.public_url = options.public_url;
  config.key_type = options.key_type;

  ANCHOR_ASSIGN_OR_RETURN(
      crypto::PrivateKey root_key,
      MakeCaKey(options.root_key_uri, options.key_type, "--root-key-uri", token_keys));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> root_serial, NewSerial(rng));
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::Certificate root,
      crypto::SignCertificate(RootTemplate(options.name, root_serial, now, options.root_days),
                              root_key.Public(), nullptr, root_key));
  ANCHOR_TRY(Verdict(CheckBeforeIssue(root, IssuanceCheck{{}, std::nullopt, now})));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<std::string> permitted_dns, PermittedDns(options));

  ANCHOR_ASSIGN_OR_RETURN(
      crypto::PrivateKey inter_key,
      MakeCaKey(options.intermediate_key_uri, options.key_type, "--key-uri", token_keys));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> inter_serial, NewSerial(rng));
  ANCHOR_ASSIGN_OR_RETURN(
      crypto::Certificate intermediate,
      crypto::SignCertificate(
          IntermediateTemplate(options.name, inter_serial, now, options.intermediate_days,
                               root.NotAfter(), permitted_dns),
          inter_key.Public(), &root, root_key));
  ANCHOR_TRY(Verdict(CheckBeforeIssue(intermediate, IssuanceCheck{{root}, std::nullopt, now})));

  if (options.offline_root.empty()) {
    ANCHOR_TRY(crypto::WritePrivateKeyFile(paths.root_key, root_key, options.passphrase));
  } else {
    ANCHOR_TRY(WriteOfflineRoot(options.offline_root, root, root_key, options.passphrase));
  }
  ANCHOR_TRY(crypto::WritePrivateKeyFile(paths.intermediate_key, inter_key, options.passphrase));
  ANCHOR_TRY(WriteFileAtomic(paths.root_crt, root.ToPem(), kPublicFileMode));
  ANCHOR_TRY(WriteFileAtomic(paths.intermediate_crt, intermediate.ToPem(), kPublicFileMode));
  // The transport's [server] keys are written with their defaults: `anchor init` sets no limit.
  const StoreSettings store_settings{options.store_url};
  ANCHOR_TRY(WriteFileAtomic(paths.config, ConfigFileToml(ConfigFile{config, {}, store_settings}),
                             kPublicFileMode));

  // The records are first written to anchor.db in the staging directory, whatever the store:
  // a PostgreSQL store receives them all at once at the end (MoveRecordsTo), so that a failure
  // on the way leaves nothing in the database.
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::OpenSqliteStore(paths.db));
  ANCHOR_TRY(store->AppendAudit("init", root.SerialHex(), root.Subject(),
                                "intermediate=" + intermediate.SerialHex(), UnixSeconds(now)));
  Authority authority(config, root, intermediate, std::move(inter_key), *store, clock, rng);

  const IssuerConstraints constraints = IssuerConstraints::Of({intermediate, root});
  ANCHOR_ASSIGN_OR_RETURN(NameRequest server_names, ServerNames(options, constraints, notes));
  const int server_days = config.PolicyFor(Profile::kServer).max_days;
  ANCHOR_TRY(IssueLocal(authority, options.key_type, Profile::kServer, server_names, server_days,
                        paths.server_crt, paths.server_key));
  // "<name>-admin", unless the CA's name reads as a DNS name outside its own constraints
  // (--name ca.example.com): verifiers would then hold the CN to them, so it gets a space.
  NameRequest admin{options.name + "-admin", {}};
  if (!constraints.Admits(admin)) {
    admin.common_name = options.name + " admin";
  }
  ANCHOR_TRY(IssueLocal(authority, options.key_type, Profile::kAdmin, admin,
                        config.PolicyFor(Profile::kAdmin).max_days, paths.admin_crt,
                        paths.admin_key));
  return OkStatus();
}

}  // namespace

CaPaths CaPaths::In(const std::string& home) {
  const auto p = [&](const char* f) { return (fs::path(home) / f).string(); };
  return CaPaths{home,
                 p("anchor.toml"),
                 p("anchor.db"),
                 p("root.crt"),
                 p("root.key"),
                 p("intermediate.crt"),
                 p("intermediate.key"),
                 p("server.crt"),
                 p("server.key"),
                 p("admin.crt"),
                 p("admin.key"),
                 p("ocsp.crt"),
                 p("ocsp.key")};
}

Status InitCa(const std::string& home, const InitOptions& options, const Clock& clock, Rng& rng,
              std::vector<std::string>* notes) {
  if (IsNonEmptyDirectoryOrFile(home)) {
    return Error(Code::kAlreadyExists, "a CA (or other files) already exists in " + home +
                                           "; choose another --home or move it away first");
  }
  if (!options.public_url.empty()) {
    ANCHOR_TRY(ValidatePublicUrl(options.public_url));
  }
  if (options.root_days < 1 || options.intermediate_days < 1) {
    return Error(Code::kInvalidArgument, "--root-days and --intermediate-days must be positive");
  }
  if (!options.store_url.empty()) {
    if (Status ok = CheckStoreUrl(options.store_url); !ok) {
      return ok.error().Prefixed("--store");
    }
    // Before any key is made: a database that cannot be reached or is in use is said at once.
    ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                            OpenStore(CaPaths::In(home), StoreSettings{options.store_url}));
    ANCHOR_TRY(CheckNoCertificates(*store, options.store_url));
  }
  std::error_code ec;
  if (!options.offline_root.empty() && IsNonEmptyDirectoryOrFile(options.offline_root)) {
    return Error(Code::kAlreadyExists, "--offline-root " + options.offline_root +
                                           " exists and is not an empty directory; name a new one");
  }
  if (!options.offline_root.empty() &&
      fs::weakly_canonical(options.offline_root, ec)
          .string()
          .starts_with(fs::weakly_canonical(home, ec).string() + "/")) {
    return Error(Code::kInvalidArgument,
                 "--offline-root must be outside the CA home; it is meant to leave this machine");
  }
  // "ca/" names the directory "ca": without its trailing slash the staging directory is made
  // beside it, not inside it (which could never be renamed onto its own parent).
  fs::path target = fs::absolute(home).lexically_normal();
  while (target.has_parent_path() && !target.has_filename() && target != target.root_path()) {
    target = target.parent_path();
  }
  // The directories made here for the new home are taken away again if it fails: a refused
  // init leaves nothing behind.
  std::vector<fs::path> made;
  for (fs::path dir = target.parent_path(); !dir.empty() && !fs::exists(dir, ec);
       dir = dir.parent_path()) {
    made.push_back(dir);
  }
  fs::create_directories(target.parent_path(), ec);
  const auto remove_made = [&made, &ec] {
    for (const fs::path& dir : made) {  // deepest first; fs::remove takes only empty ones
      fs::remove(dir, ec);
    }
  };
  // Ctrl-C or kill while the staging directory (plaintext keys until encrypted) exists is held
  // back until it is gone or renamed into place; one that came stops init before the home or
  // the database is touched.
  DeferSignals signals;
  const bool target_was_there = fs::exists(target, ec);  // an empty directory rename(2) replaces
  std::string staging =
      (target.parent_path() / ("." + target.filename().string() + ".init-XXXXXX"));
  if (::mkdtemp(staging.data()) == nullptr) {
    remove_made();
    return Error(Code::kInvalidArgument, "cannot create a directory beside " + home);
  }
  ::chmod(staging.c_str(), 0700);
  std::vector<std::string> said;
  MadeKeys token_keys;
  Status st = BuildCa(CaPaths::In(staging), options, clock, rng, said, token_keys);
  if (st && signals.Pending()) {
    st = Error(Code::kUnavailable, "anchor init interrupted; nothing was made");
  }
  // The home first, then its records: a home that cannot be put in place (it appeared
  // meanwhile) leaves the database untouched, and records that cannot be moved take the home
  // back out, so the database never holds a CA whose keys are gone.
  if (st && ::rename(staging.c_str(), target.c_str()) != 0) {
    st = Error(Code::kAlreadyExists,
               "cannot move the new CA into " + home + " (it appeared meanwhile, or is not empty)");
  } else if (st && !options.store_url.empty()) {
    st = MoveRecordsTo(CaPaths::In(target.string()), options.store_url);
    if (!st) {
      if (::rename(target.c_str(), staging.c_str()) != 0) {
        fs::remove_all(target, ec);
      }
      if (target_was_there) {
        fs::create_directory(target, ec);
      }
    }
  }
  if (st) {
    signals.Discard();  // the CA is whole and in place: a late Ctrl-C no longer undoes it
    if (notes != nullptr) {
      notes->insert(notes->end(), said.begin(), said.end());
    }
  }
  if (!st) {
    fs::remove_all(staging, ec);
    token_keys.Undo();
    if (!options.offline_root.empty()) {
      // Its root belongs to no CA: take it away again (the directory was new or empty).
      fs::remove(RootDir::In(options.offline_root).key, ec);
      fs::remove(RootDir::In(options.offline_root).cert, ec);
    }
    remove_made();
  }
  return st;
}

namespace {

// LoadRetired reads the retired generations of `home` still serving at `now`, with their keys
// when `need_key`.
Result<std::vector<ca::Generation>> LoadRetired(const std::string& home, bool need_key,
                                                const SecretBytes* passphrase,
                                                Clock::time_point now) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<GenerationFiles> files, RetiredGenerations(home));
  std::vector<ca::Generation> out;
  for (const GenerationFiles& f : files) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(f.cert));
    ca::Generation g{f.number, cert, std::nullopt, cert.Sha256Fingerprint()};
    if (!ca::Serving(g, now)) {
      continue;  // expired: every certificate it issued has expired too
    }
    if (need_key) {
      ANCHOR_ASSIGN_OR_RETURN(g.key, crypto::LoadPrivateKeyFile(f.key, passphrase));
      if (!g.key->Public().Equals(cert.GetPublicKey())) {
        return Error(Code::kFailedPrecondition, f.key + " does not match " + f.cert);
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

Result<CaHome::LoadedGenerations> CaHome::LoadIntermediates(const std::string& home,
                                                            const SecretBytes* passphrase,
                                                            bool need_key, Clock::time_point now) {
  // The issuing pair is read where intermediates/current says (home/intermediates.h); the
  // home's own copies are refreshed if a crash left them behind the switch.
  ANCHOR_ASSIGN_OR_RETURN(GenerationFiles issuing, IssuingFiles(home));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(issuing.cert));
  std::optional<crypto::PrivateKey> key;
  if (need_key) {
    ANCHOR_ASSIGN_OR_RETURN(key, crypto::LoadPrivateKeyFile(issuing.key, passphrase));
    if (!key->Public().Equals(cert.GetPublicKey())) {
      return Error(Code::kFailedPrecondition, issuing.key + " does not match " + issuing.cert);
    }
  }
  if (need_key && issuing.dir != home) {
    // Best effort (anchor itself reads `issuing`), and only once the pair has been read and
    // matched: a generation that cannot be used is not copied over the home's working copies.
    (void)RefreshTopLevelCopies(home);
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<ca::Generation> retired,
                          LoadRetired(home, need_key, passphrase, now));
  return LoadedGenerations{
      ca::Generation{issuing.number, cert, std::move(key), cert.Sha256Fingerprint()},
      std::move(issuing), std::move(retired)};
}

Result<std::unique_ptr<store::Store>> OpenStore(const CaPaths& paths, const StoreSettings& settings,
                                                const crypto::Certificate* root,
                                                std::string_view source) {
  if (settings.url.empty()) {
    return store::OpenSqliteStore(paths.db);
  }
  // The URI holds no password (CheckStoreUrl), so naming it names nothing secret; escaped and
  // cut short, so that it stays one line.
  const std::string named = std::string(source) + " " + Printable(settings.url.substr(0, 200));
  store::PostgresOptions options;
  options.create_schema = root == nullptr;
  options.crl_lease = std::chrono::seconds(settings.crl_lease_seconds);
  Result<std::unique_ptr<store::Store>> store = store::OpenPostgresStore(settings.url, options);
  if (!store || root == nullptr) {
    return store ? std::move(store)
                 : Result<std::unique_ptr<store::Store>>(store.error().Prefixed(named));
  }
  // Whose records: the log of a CA begins with the `anchor init` of its root.
  ANCHOR_ASSIGN_OR_RETURN(const std::optional<store::AuditEntry> first,
                          (*store)->FirstAuditEntry());
  if (!first || first->action != "init" || first->serial != root->SerialHex()) {
    return Error(Code::kFailedPrecondition,
                 named + ": the database holds " +
                     (first ? "another CA's records (its log begins with " + first->action + " " +
                                  first->serial + ")"
                            : std::string("no CA's records (its audit log is empty)")) +
                     ", not this home's (root serial " + root->SerialHex() +
                     "); point [store] url at this CA's database");
  }
  return store;
}

Result<std::unique_ptr<CaHome>> CaHome::Open(const std::string& home, const SecretBytes* passphrase,
                                             bool need_key, const Clock& clock, Rng& rng) {
  CaPaths paths = CaPaths::In(home);
  if (!FileExists(paths.config)) {
    return Error(Code::kFailedPrecondition,
                 "no CA in " + home + "; run `anchor init` first, or set --home / ANCHOR_HOME");
  }
  ANCHOR_ASSIGN_OR_RETURN(ConfigFile config, LoadConfigFile(paths.config));
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate root, crypto::LoadCertificateFile(paths.root_crt));
  ANCHOR_ASSIGN_OR_RETURN(LoadedGenerations intermediates,
                          LoadIntermediates(home, passphrase, need_key, clock.Now()));
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                          OpenStore(paths, config.store, &root));
  std::unique_ptr<CaHome> ca(new CaHome(std::move(paths), std::move(config), std::move(store),
                                        std::move(root), intermediates.issuing.cert, clock, rng));
  ca->Install(std::move(intermediates));
  ANCHOR_TRY(ca->AttributeEarlierCertificates());
  return ca;
}

void CaHome::Install(LoadedGenerations intermediates) {
  config_.issuing_generation = intermediates.issuing.number;
  issuing_files_ = std::move(intermediates.files);
  intermediate_ = intermediates.issuing.cert;
  retired_ = std::move(intermediates.retired);
  policy_.emplace(config_, ca::IssuerConstraints::Of({intermediate_, root_}));
  authority_.reset();
  if (intermediates.issuing.key) {
    authority_ = std::make_unique<Authority>(config_, root_, intermediate_,
                                             std::move(*intermediates.issuing.key), *store_, clock_,
                                             rng_, retired_);
  }
}

Result<bool> CaHome::ReloadIntermediates(const SecretBytes* passphrase) {
  ANCHOR_ASSIGN_OR_RETURN(
      LoadedGenerations intermediates,
      LoadIntermediates(paths_.home, passphrase, authority_ != nullptr, clock_.Now()));
  const bool switched = intermediates.issuing.fingerprint != intermediate_.Sha256Fingerprint();
  Install(std::move(intermediates));
  return switched;
}

Status CaHome::AttributeEarlierCertificates() {
  // Rows without an issuer predate schema v5, and so any rotation: generation 1 issued them.
  std::string first = intermediate_.Sha256Fingerprint();
  if (generation() != 1) {
    auto cert = crypto::LoadCertificateFile(FilesOf(paths_.home, 1).cert);
    if (!cert) {
      return OkStatus();  // generation 1 is gone: nothing can be left unattributed since
    }
    first = cert->Sha256Fingerprint();
  }
  ANCHOR_ASSIGN_OR_RETURN(const int64_t changed, store_->AttributeIssuer(first));
  (void)changed;
  return OkStatus();
}

std::vector<crypto::Certificate> CaHome::Intermediates() const {
  std::vector<crypto::Certificate> out{intermediate_};
  for (const ca::Generation& g : retired_) {
    out.push_back(g.cert);
  }
  return out;
}

Result<std::optional<OcspSigner>> LoadOcspSigner(const CaHome& home, Clock::time_point now) {
  const CaPaths& paths = home.paths();
  if (!FileExists(paths.ocsp_crt)) {
    return std::optional<OcspSigner>();
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(paths.ocsp_crt));
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::LoadPrivateKeyFile(paths.ocsp_key, nullptr));
  if (!key.Public().Equals(cert.GetPublicKey())) {
    return Error(Code::kInvalidArgument, paths.ocsp_key + " is not the key of " + paths.ocsp_crt);
  }
  std::string issuer_fingerprint;
  for (const crypto::Certificate& issuer : home.Intermediates()) {
    if (cert.IsIssuedBy(issuer)) {
      issuer_fingerprint = issuer.Sha256Fingerprint();
      break;
    }
  }
  if (issuer_fingerprint.empty()) {
    return Error(
        Code::kInvalidArgument,
        paths.ocsp_crt + " was not issued by this CA's intermediate; run `anchor ocsp signer`");
  }
  // RFC 6960 4.2.2.2: a delegated responder "MUST" carry id-kp-OCSPSigning in its
  // extendedKeyUsage, or clients refuse its answers.
  const std::vector<std::string> eku = cert.ExtendedKeyUsageNames();
  if (std::find(eku.begin(), eku.end(), "OCSPSigning") == eku.end()) {
    return Error(Code::kInvalidArgument,
                 paths.ocsp_crt +
                     " has no id-kp-OCSPSigning extended key usage (RFC 6960 4.2.2.2), so clients "
                     "would refuse its answers; run `anchor ocsp signer`");
  }
  if (now < cert.NotBefore() || now >= cert.NotAfter()) {
    return Error(Code::kFailedPrecondition, paths.ocsp_crt + " is not valid now (until " +
                                                Iso8601(cert.NotAfter()) +
                                                "); run `anchor ocsp signer` for a new one");
  }
  return std::optional<OcspSigner>(
      OcspSigner{std::move(cert), std::move(key), std::move(issuer_fingerprint)});
}

namespace {

// CheckFactoryRoot refuses a [server] bootstrap_ca certificate that is no root, or that is, or
// was issued by, this CA's root or intermediate.
Status CheckFactoryRoot(const CaHome& home, const std::string& file,
                        const crypto::Certificate& cert) {
  const std::string what = file + ": server.bootstrap_ca certificate '" + cert.Subject() + "' ";
  if (!cert.IsCa() || !cert.IsSelfIssued() || !cert.VerifySignedBy(cert.GetPublicKey())) {
    return Error(Code::kInvalidArgument,
                 what + "is not a self-signed CA certificate; name the factory's root CA");
  }
  std::vector<crypto::Certificate> own_cas = home.Intermediates();
  own_cas.push_back(home.root());
  for (const crypto::Certificate* own = own_cas.data(); own != own_cas.data() + own_cas.size();
       ++own) {
    if (cert.Sha256Fingerprint() == own->Sha256Fingerprint() ||
        cert.VerifySignedBy(own->GetPublicKey())) {
      return Error(Code::kInvalidArgument,
                   what +
                       "is this CA's own; a factory CA must be the manufacturer's, or every "
                       "certificate anchor issued would enroll as a factory certificate");
    }
  }
  return OkStatus();
}

}  // namespace

Result<ca::FactoryTrust> LoadFactoryTrust(const CaHome& home) {
  return LoadFactoryTrust(home, home.config().server);
}

namespace {

// AttestationChallengeKey is the MAC key of attestation challenges, from the home's
// attestation.key, which is made (0600, exclusively: a concurrent server's wins) when missing.
Result<SecretBytes> AttestationChallengeKey(const CaHome& home) {
  const std::string path = (fs::path(home.paths().home) / kAttestationKey).string();
  if (!FileExists(path)) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey made,
                            crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
    if (Status written = crypto::WritePrivateKeyFile(path, made, nullptr, /*exclusive=*/true);
        !written && written.error().code() != Code::kAlreadyExists) {
      return written.error();
    }
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::LoadPrivateKeyFile(path, nullptr));
  auto seed = crypto::Ed25519Seed(key);
  if (!seed) {
    return seed.error().Prefixed(path);
  }
  return seed;
}

// LoadKeyAttestation reads the TPM manufacturers' CAs that `file` holds, and the challenge key.
Result<std::shared_ptr<const ca::KeyAttestation>> LoadKeyAttestation(const CaHome& home,
                                                                     const std::string& named) {
  // A relative path is the CA home's, wherever `anchor serve` was started from.
  const std::string file = (fs::path(home.paths().home) / named).string();
  const std::string what = file + ": server.tpm_manufacturer_ca";
  if (!FileExists(file)) {
    return Error(Code::kInvalidArgument, what +
                                             " does not exist; name the PEM file of the TPM "
                                             "manufacturers' CA certificates");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(file));
  auto certs = crypto::Certificate::ParseAll(pem);
  if (!certs || certs->empty()) {
    return Error(Code::kInvalidArgument, what + " holds no PEM certificate");
  }
  ANCHOR_ASSIGN_OR_RETURN(SecretBytes key, AttestationChallengeKey(home));
  auto made = ca::KeyAttestation::Make(std::move(certs).value(), std::move(key));
  if (!made) {
    return made.error().Prefixed(what);
  }
  return std::make_shared<const ca::KeyAttestation>(std::move(made).value());
}

}  // namespace

Result<ca::FactoryTrust> LoadFactoryTrust(const CaHome& home, const ca::ServerPolicy& policy) {
  ca::FactoryTrust trust;
  if (!policy.tpm_manufacturer_ca.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(trust.tpm, LoadKeyAttestation(home, policy.tpm_manufacturer_ca));
  }
  if (policy.bootstrap_ca.empty()) {
    return trust;
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(policy.bootstrap_ca));
  auto roots = crypto::Certificate::ParseAll(pem);
  if (!roots || roots->empty()) {
    return Error(Code::kInvalidArgument,
                 policy.bootstrap_ca + ": server.bootstrap_ca holds no PEM certificate");
  }
  for (const crypto::Certificate& root : *roots) {
    ANCHOR_TRY(CheckFactoryRoot(home, policy.bootstrap_ca, root));
  }
  trust.roots = std::move(roots).value();
  ANCHOR_ASSIGN_OR_RETURN(trust.profile, ca::ParseProfile(policy.bootstrap_profile));
  return trust;
}

}  // namespace anchor::home
