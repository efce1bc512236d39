// SPDX-License-Identifier: Apache-2.0
// File: init_cmd.cc: `anchor init`: a new CA in the home directory.
#include <cctype>
#include <cstdio>

#include "cli/context.h"
#include "cli/printers.h"
#include "command_line/value_checks.h"
#include "core/text.h"
#include "crypto/pkcs11_key.h"
#include "home/ca_home.h"

namespace anchor::cli {
namespace {

// PinnedFingerprint is the root's SHA-256 as `openssl x509 -fingerprint -sha256` prints it
// (AB:CD:...), the form `anchor-agent run --fingerprint` and `anchor enroll --fingerprint` take.
std::string PinnedFingerprint(const crypto::Certificate& root) {
  return ToUpper(ColonHex(root.Sha256Fingerprint()));
}

// SayHowToEncrypt is the plain word on CA keys written to files without a passphrase: whoever
// reads them can issue certificates the whole fleet trusts. Keys in a token are not files.
void SayHowToEncrypt(const Context& ctx, const std::vector<std::string>& key_files) {
  if (key_files.empty()) {
    return;
  }
  ctx.Warn("the CA key" + std::string(key_files.size() > 1 ? "s " : " ") +
           Join(key_files, " and ") + (key_files.size() > 1 ? " are" : " is") +
           " NOT encrypted: anyone who can read " + (key_files.size() > 1 ? "them" : "it") +
           " can issue certificates your devices trust. Encrypt them in place as "
           "docs/OPERATIONS.md (Install) shows, or make a new "
           "CA in an empty --home with --passphrase-file FILE or ANCHOR_PASSPHRASE");
}

// KeyPlace is how init describes where a CA key was made.
std::string KeyPlace(const std::string& uri) {
  auto parsed = crypto::ParsePkcs11KeyUri(uri);
  return parsed ? "  (key in " + parsed->Describe() + ", not extractable)" : "";
}

}  // namespace

void RegisterInit(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string name = "anchor";
    std::string key_type = "ec-p256";
    int root_days = 3650;
    int intermediate_days = 1825;
    std::string public_url;
    std::vector<std::string> sans;
    std::vector<std::string> permit_dns;
    bool no_passphrase = false;
    std::string offline_root;
    std::string store;
    std::string key_uri;
    std::string root_key_uri;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "init",
      "create a CA: root, intermediate, server and admin certificates, anchor.toml, anchor.db");
  cmd->add_option("--name", o->name, "name of the CA (used in its subjects)");
  cmd->add_option("--key-type", o->key_type,
                  "ec-p256 (default), ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096");
  cmd->add_option("--root-days", o->root_days, "root validity in days (default 3650)");
  cmd->add_option("--intermediate-days", o->intermediate_days,
                  "intermediate validity in days (default 1825)");
  cmd->add_option("--public-url", o->public_url,
                  "base URL for CRL distribution point and AIA, e.g. https://ca.example.com:8443");
  cmd->add_option("--san", o->sans, "extra name for the CA's server certificate (repeatable)");
  cmd->add_option("--permit-dns", o->permit_dns,
                  "name constraint (repeatable): DNS names only under this domain; IP, email and "
                  "URI names are not constrained");
  cmd->add_flag("--no-passphrase", o->no_passphrase,
                "write the CA keys unencrypted without asking (no terminal: never asked)");
  cmd->add_option("--store", o->store,
                  "keep the CA's records in this PostgreSQL database (postgres://USER@HOST/DB, "
                  "empty; password from $PGPASSWORD or ~/.pgpass), for several `anchor serve` "
                  "replicas; default: anchor.db in the CA home")
      ->check(command_line::ParsedBy(
          "URL", [](const std::string& url) { return home::CheckStoreUrl(url); }));
  cmd->add_option("--offline-root", o->offline_root,
                  "write the root key only to this new directory (with root.crt), to be kept "
                  "offline; the CA home keeps root.crt (see docs/OPERATIONS.md)");
  cmd->add_option("--key-uri", o->key_uri,
                  "make the intermediate's key inside this PKCS#11 token, never extractable: an "
                  "RFC 7512 URI such as 'pkcs11:token=anchor-ca;object=intermediate"
                  "?module-path=/usr/lib/softhsm/libsofthsm2.so' (PIN: --pin-file or "
                  "ANCHOR_PKCS11_PIN)")
      ->check(KeyUriCheck());
  cmd->add_option("--root-key-uri", o->root_key_uri,
                  "make the root's key inside a PKCS#11 token too (another object=)")
      ->check(KeyUriCheck());
  AddJsonFlag(cmd, ctx);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      home::InitOptions opts;
      opts.name = o->name;
      ANCHOR_ASSIGN_OR_RETURN(opts.key_type, crypto::ParseKeyType(o->key_type));
      opts.root_days = o->root_days;
      opts.intermediate_days = o->intermediate_days;
      opts.public_url = o->public_url;
      opts.server_sans = o->sans;
      opts.permitted_dns = o->permit_dns;
      opts.offline_root = o->offline_root;
      opts.store_url = o->store;
      opts.intermediate_key_uri = o->key_uri;
      opts.root_key_uri = o->root_key_uri;
      ANCHOR_TRY(ctx.ParseSans(o->sans));
      const std::string home = ctx.Home();
      // Keys in a token need no passphrase: it is asked for only when a CA key goes to a file.
      const bool keys_in_files = o->key_uri.empty() || o->root_key_uri.empty();
      ANCHOR_ASSIGN_OR_RETURN(opts.passphrase, o->no_passphrase || !keys_in_files
                                                   ? ctx.Passphrase()
                                                   : ctx.NewPassphrase("the CA keys in " + home));
      std::vector<std::string> notes;
      ANCHOR_TRY(home::InitCa(home, opts, ctx.clock(), ctx.rng(), &notes));
      for (const std::string& note : notes) {
        ctx.Warn(note);
      }
      const home::CaPaths p = home::CaPaths::In(home);
      ANCHOR_ASSIGN_OR_RETURN(const crypto::Certificate root,
                              crypto::LoadCertificateFile(p.root_crt));
      std::vector<std::string> server_names;
      if (auto server = crypto::LoadCertificateFile(p.server_crt)) {
        for (const crypto::GeneralName& n : server->SubjectAltNames()) {
          server_names.push_back(n.value);
        }
      }
      ctx.Say("created CA '" + o->name + "' in " + home);
      ctx.Say("  root:          " + p.root_crt + KeyPlace(o->root_key_uri) +
              (opts.passphrase ? "  (keys encrypted)" : ""));
      if (!o->offline_root.empty()) {
        ctx.Say("  root key:      " + o->offline_root +
                "/root.key only: keep that directory offline");
      }
      ctx.Say("  intermediate:  " + p.intermediate_crt + KeyPlace(o->key_uri));
      ctx.Say("  server:        " + p.server_crt + "  (" + Join(server_names, ", ") + ")");
      ctx.Say("  admin client:  " + p.admin_crt);
      ctx.Say("  policy:        " + p.config);
      ctx.Say("trust it with:   curl --cacert " + p.root_crt + " ...");
      // The fingerprint goes to stdout even with --quiet: it is the one value a person copies
      // to every device (anchor-agent run --fingerprint), and scripts read it from there.
      if (ctx.json) {
        PrintJson({{"home", home},
                   {"root", p.root_crt},
                   {"intermediate", p.intermediate_crt},
                   {"server", p.server_crt},
                   {"admin", p.admin_crt},
                   {"config", p.config},
                   {"root_fingerprint", PinnedFingerprint(root)},
                   {"sha256", root.Sha256Fingerprint()},
                   {"keys_encrypted", opts.passphrase != nullptr}});
      } else {
        std::printf("root SHA-256 fingerprint: %s\n", PinnedFingerprint(root).c_str());
      }
      ctx.Say("pin it on devices: anchor-agent run --fingerprint " + PinnedFingerprint(root) +
              " ...");
      if (opts.passphrase == nullptr) {
        std::vector<std::string> key_files;
        if (o->root_key_uri.empty()) {
          key_files.push_back(o->offline_root.empty() ? p.root_key : o->offline_root + "/root.key");
        }
        if (o->key_uri.empty()) {
          key_files.push_back(p.intermediate_key);
        }
        SayHowToEncrypt(ctx, key_files);
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
