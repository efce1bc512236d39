// SPDX-License-Identifier: Apache-2.0
// File: store_cmd.cc: `anchor store migrate`: the CA's records into PostgreSQL.
#include <cstdio>

#include "cli/context.h"
#include "command_line/value_checks.h"
#include "home/config_file.h"
#include "home/store_migration.h"

namespace anchor::cli {

void RegisterStore(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* store = app.add_subcommand("store", "where the CA's records live");
  store->require_subcommand(1);
  auto url = std::make_shared<std::string>();
  CLI::App* migrate = store->add_subcommand(
      "migrate",
      "copy the CA's records (certificates, tokens, revocations, audit log) from anchor.db into "
      "an empty PostgreSQL database, check the copy, and name it in anchor.toml; stop `anchor "
      "serve` first");
  migrate
      ->add_option("--to", *url,
                   "the database: postgres://USER@HOST[:PORT]/DATABASE (no password in it: "
                   "$PGPASSWORD or ~/.pgpass)")
      ->required()
      ->check(command_line::ParsedBy("URL",
                                     [](const std::string& u) { return home::CheckStoreUrl(u); }));
  AddJsonFlag(migrate, ctx);
  migrate->callback([&ctx, &action, url] {
    action = [&ctx, url]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(const home::MigrationReport r, home::MigrateStore(ctx.Home(), *url));
      if (ctx.json) {
        PrintJson({{"store", *url},
                   {"certificates", r.certificates},
                   {"tokens", r.tokens},
                   {"revocations", r.revocations},
                   {"audit_entries", r.audit_entries},
                   {"audit_head", r.audit_head},
                   {"crl_number", r.crl_number}});
      } else {
        std::printf(
            "moved %lld certificates, %lld tokens, %lld revocations and %lld audit entries (head "
            "%.16s) to %s\n",
            static_cast<long long>(r.certificates), static_cast<long long>(r.tokens),
            static_cast<long long>(r.revocations), static_cast<long long>(r.audit_entries),
            r.audit_head.c_str(), url->c_str());
      }
      ctx.Say(
          "anchor.toml names it in [store] url; anchor.db is no longer used: keep it until "
          "you have checked the new store, then remove it. Start `anchor serve` again (on "
          "each replica).");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
