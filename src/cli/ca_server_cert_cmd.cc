// SPDX-License-Identifier: Apache-2.0
// File: ca_server_cert_cmd.cc: `anchor ca server-cert`: re-issue the TLS server certificate of
// `anchor serve` now, e.g. with a new host name (`anchor serve` also renews it by itself).
#include "cli/context.h"
#include "core/text.h"
#include "crypto/key_file.h"
#include "home/own_certificates.h"

namespace anchor::cli {

void RegisterCaServerCert(CLI::App& ca, Context& ctx, Action& action) {
  struct Opts {
    std::vector<std::string> sans;
    bool replace = false;
    std::optional<int> days;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = ca.add_subcommand(
      "server-cert",
      "re-issue anchor serve's TLS certificate (server.crt, server.key) now, with a new key; a "
      "running anchor serve picks it up on SIGHUP");
  cmd->add_option("--san", o->sans,
                  "a name to add (dns:NAME, ip:ADDRESS; repeatable); the current names are kept "
                  "unless --replace");
  cmd->add_flag("--replace", o->replace,
                "the --san names replace the current ones (the CN becomes the first DNS name)");
  cmd->add_option("--days", o->days,
                  "validity in days (default: [profiles.server] default_minutes if set, else its "
                  "max_days)");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::GeneralName> sans, ctx.ParseSans(o->sans));
      if (o->replace && sans.empty()) {
        return Error(Code::kInvalidArgument, "--replace needs the new names as --san");
      }
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      // One writer of server.key and server.crt at a time, serve's renewal included; the
      // current names are read under the lock too, so no concurrent change is lost.
      ANCHOR_ASSIGN_OR_RETURN(FileLock held, home::LockOwnCertificates(home->paths()));
      ANCHOR_TRY(
          home::FinishInterruptedReplace(held, home->paths().server_key, home->paths().server_crt));
      ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate current,
                              crypto::LoadCertificateFile(home->paths().server_crt));
      ANCHOR_ASSIGN_OR_RETURN(
          ca::NameRequest names,
          home::WithServerNames(home::ServerNamesOf(current), sans, o->replace));
      const std::optional<int> days =
          o->days ? o->days : home::ServerCertificateDays(home->config());
      ANCHOR_ASSIGN_OR_RETURN(
          crypto::Certificate issued,
          home::IssueServerCertificate(held, home->authority(), home->paths(), names, days));
      std::vector<std::string> written;
      for (const crypto::GeneralName& n : issued.SubjectAltNames()) {
        written.push_back(n.ToString());
      }
      ctx.Say("server certificate " + issued.Subject() + " serial " + issued.SerialHex() +
              " (was " + current.SerialHex() + "), valid until " + Iso8601(issued.NotAfter()));
      ctx.Say("  names: " + Join(written, ", "));
      ctx.Say("  written: " + home->paths().server_crt + ", " + home->paths().server_key +
              "; a running anchor serve uses it after SIGHUP (kill -HUP PID, or systemctl reload)");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
