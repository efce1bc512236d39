// SPDX-License-Identifier: Apache-2.0
// File: renew_cmd.cc: `anchor renew`: renew a certificate over EST simplereenroll (mTLS).
#include <algorithm>

#include "agent/device_enrollment.h"
#include "cli/context.h"
#include "cli/remote.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "crypto/key_file.h"
#include "crypto/tpm2_key.h"

namespace anchor::cli {
namespace {

// CheckRenewable refuses, before anything is sent, a certificate that cannot authenticate its
// own renewal: simplereenroll signs in with it over mTLS, which needs clientAuth, so a
// serverAuth-only certificate (anchor serve's own, or any server profile's) would fail in the
// handshake with a bare "unsupported certificate".
Status CheckRenewable(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(path));
  const std::vector<std::string> eku = cert.ExtendedKeyUsageNames();
  if (eku.empty() || std::find(eku.begin(), eku.end(), "clientAuth") != eku.end()) {
    return OkStatus();
  }
  return Error(Code::kInvalidArgument,
               path +
                   " is a TLS server certificate (no clientAuth), which cannot sign in to renew "
                   "itself over EST; for anchor serve's own certificate run `anchor ca "
                   "server-cert` on the CA (anchor serve also renews it by itself); for another "
                   "server, issue a new one (`anchor issue -p server`, or a token and `anchor "
                   "enroll`)");
}

}  // namespace

void RegisterRenew(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    RemoteFlags remote;
    bool rekey = false;
    std::string key_type = "ec-p256";
    std::string tpm;
    bool attest = false;
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
  auto* tpm = cmd->add_option("--tpm", o->tpm,
                              "the TPM (TCTI) the key is in, and the new key with --rekey is made "
                              "in; a key in a TPM keeps its new keys there anyway")
                  ->check(command_line::NonEmptyTcti());
  cmd->add_flag("--attest", o->attest,
                "renew with a new key made in the TPM and proved to be there (implies --rekey)")
      ->needs(tpm);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      crypto::SetTpm2Tcti(o->tpm);
      ANCHOR_TRY(CheckRenewable(o->remote.cert));
      ANCHOR_ASSIGN_OR_RETURN(agent::ServerTrust trust, Trust(ctx, o->remote));
      const agent::RenewRequest request{
          std::move(trust),      agent::DeviceFiles{o->remote.key, o->remote.cert, ""},
          o->rekey || o->attest, o->key_type,
          !o->tpm.empty(),       o->attest};
      ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate renewed, agent::Renew(request));
      ctx.Say("renewed " + renewed.Subject() + ": serial " + renewed.SerialHex() +
              ", valid until " + Iso8601(renewed.NotAfter()) +
              (o->attest  ? " (new key, attested)"
               : o->rekey ? " (new key)"
                          : ""));
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
