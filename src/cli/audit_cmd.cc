// SPDX-License-Identifier: Apache-2.0
// File: audit_cmd.cc: `anchor audit verify|list`: the hash-chained audit log.
#include <iostream>

#include "cli/context.h"
#include "store/audit_chain.h"

namespace anchor::cli {

void RegisterAudit(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* audit = app.add_subcommand("audit", "the audit log of issuance and revocation");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "check that no entry was edited or deleted");
  AddJsonFlag(verify, ctx);
  verify->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/false));
      ANCHOR_ASSIGN_OR_RETURN(std::vector<store::AuditEntry> log, home->store().AuditLog());
      const auto findings = store::VerifyAuditChain(log);
      const std::string head =
          log.empty() ? std::string(store::kAuditGenesisHash) : log.back().hash;
      if (ctx.json) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& f : findings) {
          problems.push_back({{"seq", f.seq}, {"problem", f.problem}});
        }
        nlohmann::json report = {{"intact", findings.empty()},
                                 {"entries", log.size()},
                                 {"head", head},
                                 {"findings", problems}};
        if (findings.empty()) {
          PrintJson(report);
        } else {
          ctx.json_detail = std::move(report);  // inside the error document (run.cc)
        }
      }
      for (const auto& f : findings) {
        if (!ctx.json) {
          std::cout << "entry " << f.seq << ": " << f.problem << "\n";
        }
      }
      if (!findings.empty()) {
        return Error(
            Code::kFailedPrecondition,
            "the audit log was tampered with (" + std::to_string(findings.size()) + " finding(s))");
      }
      if (!ctx.json) {
        std::cout << "audit log intact: " << log.size() << " entries, head " << head << "\n";
      }
      return OkStatus();
    };
  });
  CLI::App* list = audit->add_subcommand("list", "print the audit log");
  AddJsonFlag(list, ctx);
  list->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/false));
      ANCHOR_ASSIGN_OR_RETURN(std::vector<store::AuditEntry> log, home->store().AuditLog());
      if (ctx.json) {
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& e : log) {
          entries.push_back({{"seq", e.seq},
                             {"time", Iso8601(FromUnixSeconds(e.time))},
                             {"action", e.action},
                             {"serial", e.serial},
                             {"subject", e.subject},
                             {"detail", e.detail}});
        }
        PrintJson(entries);
        return OkStatus();
      }
      for (const auto& e : log) {
        std::cout << e.seq << "  " << Iso8601(FromUnixSeconds(e.time)) << "  " << e.action << "  "
                  << e.serial << "  " << e.subject << "  " << e.detail << "\n";
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
