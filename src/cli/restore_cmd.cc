// SPDX-License-Identifier: Apache-2.0
// File: restore_cmd.cc: `anchor restore`: a backup checked, then put in place as the CA home.
#include <cstdio>

#include "cli/context.h"
#include "cli/printers.h"
#include "core/text.h"
#include "home/backup.h"

namespace anchor::cli {

void RegisterRestore(CLI::App& app, Context& ctx, Action& action) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "restore",
      "check a backup (integrity, schema, audit chain, certificate count) and put it in place as "
      "the CA home given by --home, which must be new or empty");
  AddJsonFlag(cmd, ctx);
  cmd->add_option("FILE", *file, "the file `anchor backup` wrote")->required();
  cmd->callback([&ctx, &action, file] {
    action = [&ctx, file]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* passphrase, ctx.Passphrase());
      ANCHOR_ASSIGN_OR_RETURN(home::RestoreReport report,
                              home::RestoreCaHome(*file, ctx.Home(), passphrase));
      const store::BackupManifest& m = report.manifest;
      if (ctx.json) {
        PrintJson({{"home", ctx.Home()},
                   {"files", report.files},
                   {"keys", report.keys},
                   {"manifest", BackupManifestJson(m)}});
        return OkStatus();
      }
      std::printf(
          "restored %s into %s: %lld certificates, audit log intact (%lld entries), "
          "%zu files, %zu keys, backup taken %s\n",
          file->c_str(), ctx.Home().c_str(), static_cast<long long>(m.certificate_count),
          static_cast<long long>(m.audit_entries), report.files, report.keys,
          Iso8601(FromUnixSeconds(m.created_at)).c_str());
      if (!report.keys_left_out.empty()) {
        ctx.Say("the backup holds no keys: copy " + Join(report.keys_left_out, ", ") +
                " from the original home (or its key backup) into " + ctx.Home() +
                " (mode 0600) before using it");
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
