// SPDX-License-Identifier: Apache-2.0
// File: enroll_cmd.cc: `anchor enroll`: get a certificate from `anchor serve` over EST.
#include <cstdlib>

#include "ca/ca_home.h"
#include "cli/context.h"
#include "cli/remote.h"
#include "client/est_client.h"
#include "core/file_io.h"

namespace anchor::cli {
namespace {

// ReadToken takes the token from --token-file, else --token, else $ANCHOR_TOKEN (a token on
// the command line is visible to other users through ps; prefer the file or the variable).
Result<SecretBytes> ReadToken(const std::string& flag, const std::string& file) {
  if (!file.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
    SecretBytes token(text.substr(0, text.find_first_of("\r\n")));
    ::explicit_bzero(text.data(), text.size());
    return token;
  }
  if (!flag.empty()) {
    return SecretBytes(flag);
  }
  if (const char* env = std::getenv("ANCHOR_TOKEN"); env != nullptr && *env != '\0') {
    return SecretBytes(std::string_view(env));
  }
  return SecretBytes();
}

// KeyForEnrollment loads `path`, or generates a key of `type` when it does not exist yet (it is
// written only once the certificate is issued).
Result<crypto::PrivateKey> KeyForEnrollment(const std::string& path, const std::string& type,
                                            bool& generated) {
  generated = !FileExists(path);
  if (!generated) {
    return ca::LoadPrivateKeyFile(path, nullptr);
  }
  ANCHOR_ASSIGN_OR_RETURN(crypto::KeyType key_type, crypto::ParseKeyType(type));
  return crypto::PrivateKey::Generate(key_type);
}

}  // namespace

void RegisterEnroll(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    RemoteFlags remote;
    std::string token;
    std::string token_file;
    std::string cn;
    std::vector<std::string> sans;
    std::string key;
    std::string cert;
    std::string ca_out;
    std::string key_type = "ec-p256";
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "enroll", "enroll with anchor serve (EST): make the key here, get the certificate");
  AddServerFlags(cmd, o->remote, /*required=*/true);
  cmd->add_option("--token", o->token, "one-time enrollment token (or --token-file, $ANCHOR_TOKEN)");
  cmd->add_option("--token-file", o->token_file, "file holding the token");
  cmd->add_option("--factory-cert", o->remote.cert,
                  "enroll with a factory certificate instead of a token (bootstrap CA)");
  cmd->add_option("--factory-key", o->remote.key, "the factory certificate's key");
  cmd->add_option("--cn", o->cn, "common name to ask for (the token's)")->required();
  cmd->add_option("--san", o->sans, "further names to ask for (repeatable)");
  cmd->add_option("--key", o->key, "key file: used if it exists, else generated here (0600)")
      ->required();
  cmd->add_option("--cert", o->cert, "certificate file to write (full chain)")->required();
  cmd->add_option("--ca-out", o->ca_out, "write the CA root(s) here, to verify peers with");
  cmd->add_option("--key-type", o->key_type, "type of a generated key (default ec-p256)");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(SecretBytes token, ReadToken(o->token, o->token_file));
      if (token.empty() && o->remote.cert.empty()) {
        return Error(Code::kInvalidArgument,
                     "give a one-time token (--token-file, --token or $ANCHOR_TOKEN) or "
                     "--factory-cert/--factory-key");
      }
      ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::GeneralName> sans, ParseSans(o->sans));
      bool generated = false;
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                              KeyForEnrollment(o->key, o->key_type, generated));
      ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, crypto::Csr::Create(key, o->cn, sans));
      client::TlsOptions tls;
      ANCHOR_ASSIGN_OR_RETURN(tls.ca_pem, ServerCaPem(o->remote));
      tls.cert_file = o->remote.cert;
      tls.key_file = o->remote.key;
      tls.allow_tls12 = o->remote.tls_min == "1.2";
      ANCHOR_ASSIGN_OR_RETURN(client::HttpsClient http, client::HttpsClient::Create(std::move(tls)));
      client::EstClient est(http, o->remote.server);
      ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, est.SimpleEnroll(csr, token));
      ANCHOR_ASSIGN_OR_RETURN(CaChainPems files, FetchChainPems(est, cert));
      // Key first: a certificate on disk must always have its key beside it.
      if (generated) {
        ANCHOR_TRY(ca::WritePrivateKeyFile(o->key, key, nullptr));
      }
      ANCHOR_TRY(WriteFileAtomic(o->cert, files.chain, kPublicFileMode));
      if (!o->ca_out.empty()) {
        ANCHOR_TRY(WriteFileAtomic(o->ca_out, files.roots, kPublicFileMode));
      }
      ctx.Say("enrolled " + cert.Subject() + " serial " + cert.SerialHex() + ", valid until " +
              Iso8601(cert.NotAfter()));
      ctx.Say("  certificate: " + o->cert + "\n  key:         " + o->key +
              (generated ? " (generated here; it never left this machine)" : ""));
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
