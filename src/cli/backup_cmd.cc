// SPDX-License-Identifier: Apache-2.0
// File: backup_cmd.cc: `anchor backup`: a consistent snapshot of the CA home, also while it serves.
#include <chrono>
#include <cstdio>

#include "cli/context.h"
#include "cli/printers.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "core/text.h"
#include "home/backup.h"

namespace anchor::cli {

void RegisterBackup(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string out;
    bool with_keys = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "backup",
      "write the CA home (store, anchor.toml, certificates; keys with --with-keys) to one file; "
      "safe while `anchor serve` runs");
  cmd->add_option("--out,-o", o->out, "the backup file to create (must not exist)")
      ->required()
      ->check(command_line::NonEmptyPath());
  AddJsonFlag(cmd, ctx);
  cmd->add_flag("--with-keys", o->with_keys,
                "include the private keys, encrypted with the passphrase (--passphrase-file or "
                "ANCHOR_PASSPHRASE)");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      home::BackupOptions options;
      options.with_keys = o->with_keys;
      if (o->with_keys) {
        ANCHOR_ASSIGN_OR_RETURN(options.passphrase, ctx.Passphrase());
      }
      const auto start = std::chrono::steady_clock::now();
      ANCHOR_ASSIGN_OR_RETURN(home::BackupReport report,
                              home::BackupCaHome(ctx.Home(), o->out, options, ctx.clock()));
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const store::BackupManifest& m = report.manifest;
      if (ctx.json) {
        nlohmann::json out = {{"file", o->out},
                              {"bytes", report.bytes},
                              {"seconds", seconds},
                              {"files", report.files},
                              {"not_backed_up", report.not_backed_up},
                              {"symlinks_followed", report.symlinks_followed},
                              {"manifest", BackupManifestJson(m)}};
        PrintJson(out);
        return OkStatus();
      }
      std::printf(
          "backup %s: %lld certificates, %lld audit entries (head %s), schema v%lld, "
          "%zu files (%s), %s, %.2f s\n",
          o->out.c_str(), static_cast<long long>(m.certificate_count),
          static_cast<long long>(m.audit_entries),
          m.audit_head.empty() ? "-" : m.audit_head.substr(0, 16).c_str(),
          static_cast<long long>(m.schema_version), report.files.size(),
          o->with_keys ? "keys encrypted with the passphrase" : "no keys",
          SizeText(report.bytes).c_str(), seconds);
      if (!report.keys_left_out.empty()) {
        ctx.Say("left out (no --with-keys): " + Join(report.keys_left_out, ", "));
      }
      for (const std::string& link : report.symlinks_followed) {
        ctx.Say("backed up through a symbolic link (restored as a plain file): " + link);
      }
      if (!report.not_backed_up.empty()) {
        ctx.Say("not backed up (not a CA home's files): " + Join(report.not_backed_up, ", "));
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
