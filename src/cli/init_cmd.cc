// SPDX-License-Identifier: Apache-2.0
// File: init_cmd.cc: `anchor init`: a new CA in the home directory.
#include "cli/context.h"
#include "core/text.h"
#include "home/ca_home.h"

namespace anchor::cli {

void RegisterInit(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string name = "anchor";
    std::string key_type = "ec-p256";
    int root_days = 3650;
    int intermediate_days = 1825;
    std::string public_url;
    std::vector<std::string> sans;
    std::vector<std::string> permit_dns;
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
      ANCHOR_ASSIGN_OR_RETURN(opts.passphrase, ctx.Passphrase());
      ANCHOR_TRY(ctx.ParseSans(o->sans));
      const std::string home = ctx.Home();
      std::vector<std::string> notes;
      ANCHOR_TRY(home::InitCa(home, opts, ctx.clock(), ctx.rng(), &notes));
      for (const std::string& note : notes) {
        ctx.Warn(note);
      }
      const home::CaPaths p = home::CaPaths::In(home);
      std::vector<std::string> server_names;
      if (auto server = crypto::LoadCertificateFile(p.server_crt)) {
        for (const crypto::GeneralName& n : server->SubjectAltNames()) {
          server_names.push_back(n.value);
        }
      }
      ctx.Say("created CA '" + o->name + "' in " + home);
      ctx.Say("  root:          " + p.root_crt + (opts.passphrase ? "  (keys encrypted)" : ""));
      ctx.Say("  intermediate:  " + p.intermediate_crt);
      ctx.Say("  server:        " + p.server_crt + "  (" + Join(server_names, ", ") + ")");
      ctx.Say("  admin client:  " + p.admin_crt);
      ctx.Say("  policy:        " + p.config);
      ctx.Say("trust it with:   curl --cacert " + p.root_crt + " ...");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
