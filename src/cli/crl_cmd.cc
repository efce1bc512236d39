// SPDX-License-Identifier: Apache-2.0
// File: crl_cmd.cc: `anchor crl`: a new CRL signed by the intermediate (or, --root, the root).
#include <unistd.h>

#include "ca/root_crl.h"
#include "cli/context.h"
#include "core/file_io.h"

namespace anchor::cli {
namespace {

Result<crypto::Crl> RootCrl(Context& ctx, home::CaHome& home, int days) {
  ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* passphrase, ctx.Passphrase());
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::LoadPrivateKeyFile(home.paths().root_key, passphrase));
  return ca::BuildRootCrl(home.root(), key, home.store(), ctx.clock(), days);
}

}  // namespace

void RegisterCrl(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string out;
    bool pem = false;
    bool root = false;
    int days = 365;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd =
      app.add_subcommand("crl", "sign a new CRL (RFC 5280) of every revoked certificate");
  cmd->add_option("--out,-o", o->out, "CRL file (default stdout)");
  cmd->add_flag("--pem", o->pem, "PEM instead of DER");
  cmd->add_flag("--root", o->root,
                "the root's CRL (about the intermediate), for relying parties that check every "
                "level, e.g. nginx ssl_crl");
  cmd->add_option("--days", o->days, "validity of the root's CRL (default 365)");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      if (!o->pem && o->out.empty() && ::isatty(STDOUT_FILENO)) {
        return Error(Code::kInvalidArgument, "a DER CRL is binary; give --out FILE or --pem");
      }
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/!o->root));
      ANCHOR_ASSIGN_OR_RETURN(
          crypto::Crl crl, o->root ? RootCrl(ctx, *home, o->days) : home->authority().BuildCrl());
      const std::vector<uint8_t> der = crl.ToDer();
      ANCHOR_TRY(WriteOutput(o->out, o->pem ? crl.ToPem() : std::string(der.begin(), der.end()),
                             kPublicFileMode));
      if (!o->out.empty()) {
        ctx.Say("wrote CRL #" + std::to_string(crl.Number()) + " with " +
                std::to_string(crl.Entries().size()) + " revoked certificate(s), next update " +
                Iso8601(crl.NextUpdate()) + ", to " + o->out);
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
