// SPDX-License-Identifier: Apache-2.0
// File: csr_cmd.cc: `anchor csr`: a signing request for a local key.
#include "cli/context.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "home/ca_home.h"

namespace anchor::cli {

void RegisterCsr(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string key;
    std::string cn;
    std::vector<std::string> sans;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd =
      app.add_subcommand("csr", "create a PKCS#10 request for a key (the key stays here)");
  cmd->add_option("--key,-k", o->key, "private key file")->required();
  cmd->add_option("--cn", o->cn, "common name (host name, client or device id)")->required();
  cmd->add_option("--san", o->sans, "dns:NAME, ip:ADDRESS, uri:URI or email:ADDR (repeatable)");
  cmd->add_option("--out,-o", o->out, "request file to write (default: stdout)")
      ->check(command_line::NonEmptyPath());
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::GeneralName> sans, ctx.ParseSans(o->sans));
      ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* pass, ctx.Passphrase());
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::LoadPrivateKeyFile(o->key, pass));
      auto csr = crypto::Csr::Create(key, o->cn, sans);
      if (!csr) {
        return csr.error().Prefixed("--cn " + o->cn);
      }
      ANCHOR_TRY(WriteOutput(o->out, csr->ToPem(), kPublicFileMode));
      if (!o->out.empty()) {
        ctx.Say("wrote request for CN=" + o->cn + " to " + o->out);
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
