// SPDX-License-Identifier: Apache-2.0
// File: trust_cmd.cc: `anchor trust bundle`: one trust file for several CAs (Amy's and Bob's).
#include <set>

#include "cli/context.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"

namespace anchor::cli {

void RegisterTrust(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::vector<std::string> cas;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* trust = app.add_subcommand("trust", "trust across CAs");
  trust->require_subcommand(1);
  CLI::App* cmd = trust->add_subcommand(
      "bundle", "write a PEM bundle of CA certificates that servers and clients can trust");
  cmd->add_option("--ca", o->cas, "CA certificate file (repeatable)")->required();
  cmd->add_option("--out,-o", o->out, "bundle file (default stdout)")
      ->check(command_line::NonEmptyPath());
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      std::string bundle;
      std::set<std::string> seen;
      for (const std::string& path : o->cas) {
        ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadInput(path));
        auto certs = crypto::Certificate::ParseAll(data);
        if (!certs) {
          return certs.error().Prefixed(path);
        }
        for (const crypto::Certificate& c : *certs) {
          if (!c.IsCa()) {
            return Error(Code::kInvalidArgument,
                         path + ": " + c.Subject() +
                             " is not a CA certificate; a trust bundle holds only CAs");
          }
          if (!seen.insert(c.Sha256Fingerprint()).second) {
            continue;
          }
          bundle += "# " + c.Subject() + "\n# SHA-256 " + c.Sha256Fingerprint() + "\n" + c.ToPem();
        }
      }
      ANCHOR_TRY(WriteOutput(o->out, bundle, kPublicFileMode));
      if (!o->out.empty()) {
        ctx.Say("wrote " + std::to_string(seen.size()) + " CA certificate(s) to " + o->out);
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
