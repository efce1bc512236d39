// SPDX-License-Identifier: Apache-2.0
// File: ca_home.h: the CA home directory: creating it (`anchor init`) and opening it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ca/authenticator.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/generation.h"
#include "core/clock.h"
#include "core/rng.h"
#include "core/secret_bytes.h"
#include "crypto/key.h"
#include "crypto/key_file.h"
#include "home/config_file.h"
#include "home/intermediates.h"
#include "store/store.h"

namespace anchor::home {

// CaPaths names every file of a CA home.
struct CaPaths {
  std::string home, config, db, root_crt, root_key, intermediate_crt, intermediate_key, server_crt,
      server_key, admin_crt, admin_key, ocsp_crt, ocsp_key;
  static CaPaths In(const std::string& home);
};

// InitOptions are the choices of `anchor init`.
struct InitOptions {
  std::string name = "anchor";
  crypto::KeyType key_type = crypto::KeyType::kEcP256;
  int root_days = 3650;
  int intermediate_days = 1825;
  std::string public_url;
  std::vector<std::string> server_sans;     // beyond localhost, 127.0.0.1 and ::1
  std::vector<std::string> permitted_dns;   // name constraints on the intermediate
  const SecretBytes* passphrase = nullptr;  // encrypts root.key and intermediate.key
  // offline_root, when set, is a new (or empty) directory that receives root.key and root.crt
  // instead of the home, which keeps only root.crt (home/offline_root.h).
  std::string offline_root;
  // intermediate_key_uri and root_key_uri, when set, are RFC 7512 URIs of PKCS#11 tokens where
  // the intermediate's (and the root's) key is made, non-extractable (crypto/pkcs11_key.h);
  // the home's key file then holds the key's URI. A failed init deletes the keys it made there.
  std::string intermediate_key_uri;
  std::string root_key_uri;
  // store_url, when set, is the PostgreSQL database (StoreSettings::url) that keeps the CA's
  // records instead of anchor.db; it must hold no certificate yet.
  std::string store_url;
};

// InitCa creates a CA in `home`: root, intermediate, server and admin certificates and keys,
// anchor.toml and anchor.db. Each certificate is verified before it is written, as every
// issuance is (`CheckBeforeIssue`). Everything is built in a temporary sibling directory and
// renamed into place, so a failure leaves nothing behind. An existing, non-empty `home` is
// kAlreadyExists. What the user should know (a default name left out of the server
// certificate because the name constraints exclude it) is added to `notes`.
Status InitCa(const std::string& home, const InitOptions& options, const Clock& clock, Rng& rng,
              std::vector<std::string>* notes = nullptr);

// OpenStore opens the store of a CA home: the PostgreSQL database `settings.url` names, or
// else the SQLite database anchor.db in the home (the composition root's one choice of backend).
// With `root` (an existing CA), a PostgreSQL database must hold this CA's records: anchor's
// tables (none are created in an empty one) and an audit log that begins with the `anchor init`
// of this root; a database dropped and made again, or another CA's, is kFailedPrecondition.
// Without it (a new CA, a migration's target) the tables are created when missing. Errors name
// the URL as `source` says where it came from ("[store] url", "--to").
Result<std::unique_ptr<store::Store>> OpenStore(const CaPaths& paths, const StoreSettings& settings,
                                                const crypto::Certificate* root = nullptr,
                                                std::string_view source = "[store] url");

// CaHome is an opened CA: its configuration (anchor.toml, read once: the CA's part and the
// transport's settings), store and authority.
class CaHome final {
 public:
  // Open loads the CA in `home`. With `need_key` false the intermediate key is not read (for
  // read-only commands such as `anchor list`), and `authority()` must not be called.
  static Result<std::unique_ptr<CaHome>> Open(const std::string& home,
                                              const SecretBytes* passphrase, bool need_key,
                                              const Clock& clock, Rng& rng);

  const CaPaths& paths() const { return paths_; }
  const ca::CaConfig& config() const { return config_; }
  // server_settings are the transport's keys of [server], for `anchor serve`.
  const server::ServerSettings& server_settings() const { return server_settings_; }
  store::Store& store() { return *store_; }
  // store_settings are [store]: where the records are (empty url: anchor.db in the home).
  const StoreSettings& store_settings() const { return store_settings_; }
  ca::Authority& authority() { return *authority_; }
  const crypto::Certificate& root() const { return root_; }
  const crypto::Certificate& intermediate() const { return intermediate_; }
  // generation is the issuing intermediate's generation number (1 until the first rotation).
  int generation() const { return config_.issuing_generation; }
  // retired are the older intermediate generations (home/intermediates.h), newest first, whose
  // certificates may still be in use (not past their notAfter), with their keys when opened
  // with `need_key`.
  const std::vector<ca::Generation>& retired() const { return retired_; }
  // Intermediates are the issuing intermediate and the retired ones still serving: what a
  // relying party needs to build the chain of any valid certificate of this CA.
  std::vector<crypto::Certificate> Intermediates() const;
  // issuing_files are the files the issuing pair was read from: intermediates/N/, or the home's
  // intermediate.crt and intermediate.key before the first rotation.
  const GenerationFiles& issuing_files() const { return issuing_files_; }
  // policy is the issuance policy with the CA's name constraints; it needs no key (tokens).
  const ca::IssuancePolicy& policy() const { return *policy_; }

  // ReloadIntermediates reads the intermediate generations again, as Open does: the issuing pair
  // that intermediates/current names now (with its key, decrypted with `passphrase`, when the
  // home was opened with `need_key`) and the retired generations still serving. It is how a
  // running `anchor serve` takes up a generation `anchor ca rotate` switched to. It returns
  // whether the issuing generation changed; on an error (a key that does not decrypt, a
  // missing file) nothing changes. The references returned before (intermediate(), retired(),
  // authority(), policy()) are invalidated: the caller must be the home's only user meanwhile.
  Result<bool> ReloadIntermediates(const SecretBytes* passphrase);

 private:
  // LoadedGenerations are the intermediate generations read from a home at one moment.
  struct LoadedGenerations {
    ca::Generation issuing;  // with its key when read with `need_key`
    GenerationFiles files;   // where `issuing` was read from
    std::vector<ca::Generation> retired;
  };

  CaHome(CaPaths paths, ConfigFile config, std::unique_ptr<store::Store> store,
         crypto::Certificate root, crypto::Certificate intermediate, const Clock& clock, Rng& rng)
      : paths_(std::move(paths)),
        config_(std::move(config.ca)),
        server_settings_(config.server),
        store_settings_(config.store),
        store_(std::move(store)),
        root_(std::move(root)),
        intermediate_(std::move(intermediate)),
        clock_(clock),
        rng_(rng) {}

  // LoadIntermediates reads the issuing generation and the retired ones still serving at `now`.
  static Result<LoadedGenerations> LoadIntermediates(const std::string& home,
                                                     const SecretBytes* passphrase, bool need_key,
                                                     Clock::time_point now);
  // Install makes `intermediates` the home's: the issuing certificate, policy and authority.
  void Install(LoadedGenerations intermediates);
  // AttributeEarlierCertificates records generation 1 as the issuer of the certificates
  // recorded before the store recorded issuers (Store::AttributeIssuer).
  Status AttributeEarlierCertificates();

  CaPaths paths_;
  ca::CaConfig config_;
  server::ServerSettings server_settings_;
  StoreSettings store_settings_;
  std::unique_ptr<store::Store> store_;
  crypto::Certificate root_;
  crypto::Certificate intermediate_;
  const Clock& clock_;
  Rng& rng_;
  GenerationFiles issuing_files_;
  std::optional<ca::IssuancePolicy> policy_;  // borrows config_, declared after it
  std::vector<ca::Generation> retired_;
  std::unique_ptr<ca::Authority> authority_;
};

// OcspSigner is a delegated OCSP responder's certificate and key, and the fingerprint of the
// intermediate generation that certified it (it signs for that one only).
struct OcspSigner {
  crypto::Certificate cert;
  crypto::PrivateKey key;
  std::string issuer_fingerprint;
};

// LoadOcspSigner reads the CA home's ocsp.crt and ocsp.key (made by `anchor ocsp signer`). It
// returns nullopt when there are none, and an error when they do not match, were not issued by
// the intermediate (or a retired generation still serving), or are not valid at `now`: a
// responder must never sign with a stale signer.
Result<std::optional<OcspSigner>> LoadOcspSigner(const CaHome& home, Clock::time_point now);

// LoadFactoryTrust reads the factory CAs named by `home`'s [server] bootstrap_ca, for the
// Authenticator: none when unset. Each must be a self-signed CA certificate (a root: TLS
// verifies the factory chain to it), and none may be this CA's root or intermediate or be issued
// by them: anchor's own certificates would then enroll as factory certificates, revoked ones
// included. Errors (kInvalidArgument) name the file and the certificate.
// With [server] tpm_manufacturer_ca it also reads the TPM manufacturers' CAs of key attestation
// (FactoryTrust::tpm) and the home's attestation.key, which it makes when there is none.
Result<ca::FactoryTrust> LoadFactoryTrust(const CaHome& home);
// LoadFactoryTrust reads the factory CAs that `policy` names (a [server] table read again on a
// reload), with the same checks.
Result<ca::FactoryTrust> LoadFactoryTrust(const CaHome& home, const ca::ServerPolicy& policy);

}  // namespace anchor::home
