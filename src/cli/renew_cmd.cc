// SPDX-License-Identifier: Apache-2.0
// File: renew_cmd.cc: `anchor renew`: renew a certificate over EST simplereenroll (mTLS).
#include "ca/ca_home.h"
#include "cli/context.h"
#include "cli/remote.h"
#include "client/est_client.h"
#include "core/file_io.h"

namespace anchor::cli {

void RegisterRenew(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    RemoteFlags remote;
    bool rekey = false;
    std::string key_type = "ec-p256";
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "renew", "renew a certificate with anchor serve (EST simplereenroll over mTLS)");
  AddServerFlags(cmd, o->remote, /*required=*/true);
  cmd->add_option("--cert", o->remote.cert, "the certificate to renew (replaced on success)")
      ->required();
  cmd->add_option("--key", o->remote.key, "its key")->required();
  cmd->add_flag("--rekey", o->rekey, "make a new key for the new certificate");
  cmd->add_option("--key-type", o->key_type, "type of the new key with --rekey (default ec-p256)");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(o->remote.cert));
      auto current = crypto::Certificate::FromPem(cert_pem);
      if (!current) {
        return current.error().Prefixed(o->remote.cert);
      }
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey old_key,
                              ca::LoadPrivateKeyFile(o->remote.key, nullptr));
      if (!old_key.Public().Equals(current->GetPublicKey())) {
        return Error(Code::kInvalidArgument,
                     o->remote.key + " is not the key of " + o->remote.cert);
      }
      crypto::PrivateKey key = old_key;
      if (o->rekey) {
        ANCHOR_ASSIGN_OR_RETURN(crypto::KeyType type, crypto::ParseKeyType(o->key_type));
        ANCHOR_ASSIGN_OR_RETURN(key, crypto::PrivateKey::Generate(type));
      }
      //= https://www.rfc-editor.org/rfc/rfc7030#section-4.2.2
      //# the Subject field and SubjectAltName extension MUST be identical to the corresponding
      //# fields in the certificate being renewed or rekeyed.
      ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, crypto::Csr::Create(key, current->CommonName(),
                                                                   current->SubjectAltNames()));
      client::TlsOptions tls;
      ANCHOR_ASSIGN_OR_RETURN(tls.ca_pem, ServerCaPem(o->remote));
      tls.cert_file = o->remote.cert;
      tls.key_file = o->remote.key;
      tls.allow_tls12 = o->remote.tls_min == "1.2";
      ANCHOR_ASSIGN_OR_RETURN(client::HttpsClient http, client::HttpsClient::Create(std::move(tls)));
      client::EstClient est(http, o->remote.server);
      ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate renewed, est.SimpleReenroll(csr));
      ANCHOR_ASSIGN_OR_RETURN(CaChainPems files, FetchChainPems(est, renewed));
      // Nothing was touched until now: a failed renewal leaves the working pair as it was.
      if (o->rekey) {
        ANCHOR_TRY(ca::WritePrivateKeyFile(o->remote.key, key, nullptr));
      }
      ANCHOR_TRY(WriteFileAtomic(o->remote.cert, files.chain, kPublicFileMode));
      ctx.Say("renewed " + renewed.Subject() + ": serial " + renewed.SerialHex() +
              ", valid until " + Iso8601(renewed.NotAfter()) + (o->rekey ? " (new key)" : ""));
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
