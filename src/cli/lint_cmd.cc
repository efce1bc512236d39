// SPDX-License-Identifier: Apache-2.0
// File: lint_cmd.cc: `anchor lint`: findings with severity; exit 1 when any is an error.
#include <iostream>

#include "ca/lint.h"
#include "cli/context.h"

namespace anchor::cli {

void RegisterLint(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string cert;
    std::vector<std::string> issuers;
    int max_days = 397;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("lint", "check a certificate for what breaks mTLS peers");
  cmd->add_option("cert", o->cert,
                  "certificate file; a chain (leaf first) lints each certificate against the ones "
                  "after it, e.g. the leaf against its CAs' name constraints")
      ->required();
  cmd->add_option("--issuer", o->issuers,
                  "issuing CA certificates (the intermediate, then the root) not in the file");
  cmd->add_option("--max-days", o->max_days, "validity limit for leaf certificates (default 397)");
  AddJsonFlag(cmd, ctx);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadInput(o->cert));
      auto certs = crypto::Certificate::ParseAll(data);
      if (!certs) {
        return certs.error().Prefixed(o->cert);
      }
      std::vector<crypto::Certificate> chain = *certs;
      for (const std::string& path : o->issuers) {
        ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadInput(path));
        auto more = crypto::Certificate::ParseAll(pem);
        if (!more) {
          return more.error().Prefixed(path);
        }
        chain.insert(chain.end(), more->begin(), more->end());
      }
      size_t errors = 0;
      nlohmann::json reports = nlohmann::json::array();
      for (size_t i = 0; i < certs->size(); ++i) {
        const crypto::Certificate& c = (*certs)[i];
        // Each certificate is held to the constraints of those that follow it in the chain.
        const std::vector<crypto::Certificate> issuers(chain.begin() + i + 1, chain.end());
        const ca::Report report =
            ca::Lint(c, ctx.clock().Now(), ca::LintLimits{o->max_days}, issuers);
        nlohmann::json findings = nlohmann::json::array();
        if (!ctx.json) {
          std::cout << c.Subject() << ":" << (report.findings().empty() ? " no findings\n" : "\n");
        }
        for (const ca::Finding& f : report.findings()) {
          findings.push_back({{"severity", std::string(ca::SeverityName(f.severity))},
                              {"id", f.id},
                              {"detail", f.detail}});
          if (!ctx.json) {
            std::cout << "  " << ca::SeverityName(f.severity) << "  " << f.id << ": " << f.detail
                      << "\n";
          }
          errors += f.severity == ca::Severity::kError ? 1 : 0;
        }
        reports.push_back({{"subject", c.Subject()}, {"findings", findings}});
      }
      if (ctx.json && errors == 0) {
        PrintJson(reports);
      } else if (ctx.json) {
        ctx.json_detail = std::move(reports);  // inside the error document (run.cc)
      }
      if (errors > 0) {
        return Error(Code::kInvalidArgument,
                     o->cert + ": " + std::to_string(errors) + " lint error(s)");
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
