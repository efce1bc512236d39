// SPDX-License-Identifier: Apache-2.0
// File: run.cc: builds the CLI11 app, dispatches, and turns errors into one line and an exit code.
#include "cli/run.h"

#include <cstdio>
#include <exception>

#include "cli/context.h"
#include "command_line/bash_completion.h"
#include "command_line/parse_command_line.h"
#include "command_line/value_checks.h"
#include "core/exit_codes.h"

namespace anchor::cli {
namespace {

void PrintError(const Error& error, bool verbose) {
  std::fprintf(stderr, "anchor: error: %s\n", error.message().c_str());
  if (verbose && !error.detail().empty()) {
    std::fprintf(stderr, "%s", error.detail().c_str());
  }
}

}  // namespace

int Run(int argc, char** argv) {
  Context ctx;
  CLI::App app{"anchor: a private PKI for mutual-TLS device fleets", "anchor"};
  app.require_subcommand(1);
  app.fallthrough();
  command_line::AddStandardFlags(app);
  app.add_option("--home", ctx.home_flag, "CA home directory (default $ANCHOR_HOME or ~/.anchor)")
      ->check(command_line::NonEmptyPath());
  app.add_option("--passphrase-file", ctx.passphrase_file,
                 "file whose first line is the key passphrase (or set ANCHOR_PASSPHRASE)");
  app.add_option("--pin-file", ctx.pin_file,
                 "file whose first line is the user PIN of the PKCS#11 token holding CA keys (or "
                 "set ANCHOR_PKCS11_PIN)");
  app.add_flag("-q,--quiet", ctx.quiet, "print only results");
  app.add_flag("-v,--verbose", ctx.verbose, "print OpenSSL detail with errors");

  Action action;
  RegisterInit(app, ctx, action);
  RegisterKey(app, ctx, action);
  RegisterCsr(app, ctx, action);
  RegisterSign(app, ctx, action);
  RegisterIssue(app, ctx, action);
  RegisterInspect(app, ctx, action);
  RegisterVerify(app, ctx, action);
  RegisterLint(app, ctx, action);
  RegisterList(app, ctx, action);
  RegisterRevoke(app, ctx, action);
  RegisterCrl(app, ctx, action);
  RegisterTrust(app, ctx, action);
  RegisterAudit(app, ctx, action);
  RegisterToken(app, ctx, action);
  RegisterOcsp(app, ctx, action);
  RegisterServe(app, ctx, action);
  RegisterEnroll(app, ctx, action);
  RegisterRenew(app, ctx, action);
  RegisterDemo(app, ctx, action);
  RegisterBackup(app, ctx, action);
  RegisterRestore(app, ctx, action);
  RegisterStore(app, ctx, action);
  RegisterCa(app, ctx, action);
  command_line::AddCompletionCommand(app);

  if (const std::optional<int> ended = command_line::Parse(app, argc, argv)) {
    return *ended;
  }
  try {
    if (!action) {
      return kExitUsage;
    }
    Status st = ctx.LoadPkcs11Pin();
    if (st) {
      st = action();
    }
    if (!st) {
      if (ctx.json) {
        nlohmann::json error = {{"code", std::string(CodeName(st.error().code()))},
                                {"message", st.error().message()}};
        if (!ctx.json_detail.is_null()) {
          error["detail"] = std::move(ctx.json_detail);
        }
        PrintJson({{"error", std::move(error)}});
      }
      PrintError(st.error(), ctx.verbose);
      return ExitCodeFor(st.error(), Program::kAnchor);
    }
    return kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anchor: error: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace anchor::cli
