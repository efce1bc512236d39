// SPDX-License-Identifier: Apache-2.0
// File: revoke_cmd.cc: `anchor revoke`: by serial or by certificate file.
#include "cli/context.h"
#include "cli/remote.h"
#include "client/admin_client.h"
#include "crypto/crl.h"

namespace anchor::cli {

void RegisterRevoke(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string serial;
    std::string cert;
    std::string reason = "unspecified";
    RemoteFlags remote;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd =
      app.add_subcommand("revoke", "revoke a certificate (a running anchor serve publishes it)");
  auto* serial =
      cmd->add_option("serial", o->serial, "serial number in hex, as `anchor list` shows");
  cmd->add_option("--cert", o->cert, "revoke the certificate in this file")->excludes(serial);
  cmd->add_option("--reason", o->reason,
                  "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
                  "cessationOfOperation, privilegeWithdrawn");
  AddServerFlags(cmd, o->remote, /*required=*/false);
  AddAdminFlags(cmd, o->remote);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(int reason, crypto::ParseReason(o->reason));
      std::string serial = o->serial;
      if (!o->cert.empty()) {
        ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadInput(o->cert));
        auto cert = crypto::Certificate::FromPem(data);
        if (!cert) {
          return cert.error().Prefixed(o->cert);
        }
        serial = cert->SerialHex();
      }
      if (serial.empty()) {
        return Error(Code::kInvalidArgument, "give a SERIAL or --cert FILE");
      }
      if (!o->remote.servers.empty()) {
        // Through the server, the CRL, OCSP and the broker feed change at once.
        ANCHOR_ASSIGN_OR_RETURN(AdminConnection conn, ConnectAsAdmin(ctx, o->remote));
        client::AdminClient admin(conn.http, conn.servers);
        ANCHOR_ASSIGN_OR_RETURN(nlohmann::json event, admin.Revoke(serial, o->reason));
        ctx.Say("revoked " + event.value("serial", serial) + " (" + o->reason + ") on " +
                conn.servers.Current() + ", revocation #" +
                std::to_string(event.value("seq", int64_t{0})));
        return OkStatus();
      }
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      ANCHOR_ASSIGN_OR_RETURN(store::RevocationEvent event,
                              home->authority().Revoke(serial, reason));
      ctx.Say("revoked " + event.serial + " (" + std::string(crypto::ReasonName(reason)) +
              "), revocation #" + std::to_string(event.seq) +
              "; anchor serve publishes it at once (OCSP, /crl, the feed); without a running "
              "serve, publish the CRL with `anchor crl`");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
