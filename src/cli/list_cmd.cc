// SPDX-License-Identifier: Apache-2.0
// File: list_cmd.cc: `anchor list`: the certificates this CA issued.
#include <cstdio>
#include <iostream>

#include "api/record_json.h"
#include "cli/context.h"
#include "cli/printers.h"

namespace anchor::cli {

void RegisterList(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string status = "any";
    std::optional<int> expiring_within;
    std::string profile;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("list", "list issued certificates");
  cmd->add_option("--status", o->status, "valid, revoked, expired or any")
      ->check(CLI::IsMember({"valid", "revoked", "expired", "any"}));
  cmd->add_option("--expiring-within", o->expiring_within, "only valid ones expiring within DAYS");
  cmd->add_option("--profile", o->profile, "only this profile");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(ca::CaHome * home, ctx.OpenCa(/*need_key=*/false));
      store::ListFilter filter;
      filter.now = UnixSeconds(ctx.clock().Now());
      filter.status = o->status == "valid"     ? store::StatusFilter::kValid
                      : o->status == "revoked" ? store::StatusFilter::kRevoked
                      : o->status == "expired" ? store::StatusFilter::kExpired
                                               : store::StatusFilter::kAny;
      if (o->expiring_within) {
        filter.expiring_before = filter.now + int64_t{*o->expiring_within} * 86400;
      }
      filter.profile = o->profile;
      ANCHOR_ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> records,
                              home->store().List(filter));
      if (o->json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : records) {
          out.push_back(api::RecordJson(r, filter.now));
        }
        std::cout << out.dump(2) << "\n";
        return OkStatus();
      }
      std::printf("%-32s  %-7s  %-8s  %-20s  %s\n", "SERIAL", "PROFILE", "STATUS", "NOT AFTER",
                  "COMMON NAME");
      for (const auto& r : records) {
        std::printf("%-32s  %-7s  %-8s  %-20s  %s\n", r.serial.c_str(), r.profile.c_str(),
                    api::RecordState(r, filter.now).c_str(), Iso8601(FromUnixSeconds(r.not_after)).c_str(),
                    r.common_name.c_str());
      }
      ctx.Say(std::to_string(records.size()) + " certificate(s)");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
