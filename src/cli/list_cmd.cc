// SPDX-License-Identifier: Apache-2.0
// File: list_cmd.cc: `anchor list`: the certificates this CA issued.
#include <cstdio>
#include <iostream>

#include "api/record_json.h"
#include "ca/serial_number.h"
#include "cli/context.h"
#include "cli/printers.h"
#include "cli/remote.h"
#include "client/admin_client.h"

namespace anchor::cli {

namespace {

struct ListOpts {
  std::string status = "any";
  std::optional<int> expiring_within;
  std::string profile;
  std::string serial;
  bool pem = false;
  bool attested = false;
  RemoteFlags remote;
};

// ShowOne prints the record of one serial from the CA home's store: with `pem`, the
// certificate itself (what `anchor sign` names when it could not write a file).
Status ShowOne(Context& ctx, const ListOpts& o) {
  ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/false));
  ANCHOR_ASSIGN_OR_RETURN(const std::string serial, ca::NormalizeSerial(o.serial));
  ANCHOR_ASSIGN_OR_RETURN(store::CertificateRecord record, home->store().FindBySerial(serial));
  if (o.pem) {
    // Leaf and intermediate, as `anchor sign` writes them.
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(record.der));
    // Its own intermediate: after a rotation, the generation that issued it.
    std::string chain = home->intermediate().ToPem();
    for (const crypto::Certificate& issuer : home->Intermediates()) {
      if (cert.IsIssuedBy(issuer)) {
        chain = issuer.ToPem();
        break;
      }
    }
    std::cout << cert.ToPem() << chain;
    return OkStatus();
  }
  const nlohmann::json j = api::RecordJson(record, UnixSeconds(ctx.clock().Now()));
  std::cout << (ctx.json ? j.dump(2) : j.dump()) << "\n";
  return OkStatus();
}

// ListLocally reads the CA home's store: the records as the admin API would return them.
Result<nlohmann::json> ListLocally(Context& ctx, const ListOpts& o) {
  ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/false));
  store::ListFilter filter;
  filter.now = UnixSeconds(ctx.clock().Now());
  filter.status = api::ParseStatusFilter(o.status).value();  // CLI11 admits only these
  if (o.expiring_within) {
    filter.expiring_before = filter.now + int64_t{*o.expiring_within} * 86400;
  }
  filter.profile = o.profile;
  ANCHOR_ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> records,
                          home->store().List(filter));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : records) {
    out.push_back(api::RecordJson(r, filter.now));
  }
  return out;
}

// ListRemotely asks `anchor serve`'s admin API with the same filter.
Result<nlohmann::json> ListRemotely(Context& ctx, const ListOpts& o) {
  ANCHOR_ASSIGN_OR_RETURN(AdminConnection conn, ConnectAsAdmin(ctx, o.remote));
  client::AdminClient admin(conn.http, conn.servers);
  std::string query = "limit=100000&status=" + o.status;
  if (o.expiring_within) {
    query += "&expiring_within_days=" + std::to_string(*o.expiring_within);
  }
  if (!o.profile.empty()) {
    query += "&profile=" + o.profile;
  }
  ANCHOR_ASSIGN_OR_RETURN(nlohmann::json answer, admin.ListCertificates(query));
  return answer.value("certificates", nlohmann::json::array());
}

}  // namespace

void RegisterList(CLI::App& app, Context& ctx, Action& action) {
  auto o = std::make_shared<ListOpts>();
  CLI::App* cmd = app.add_subcommand("list", "list issued certificates");
  cmd->add_option("--status", o->status, "valid, revoked, expired or any")
      ->check(CLI::IsMember({"valid", "revoked", "expired", "any"}));
  cmd->add_option("--expiring-within", o->expiring_within, "only valid ones expiring within DAYS");
  cmd->add_option("--profile", o->profile, "only this profile");
  cmd->add_flag("--attested", o->attested,
                "only certificates whose key was shown to be in a TPM (key_attested)");
  AddJsonFlag(cmd, ctx);
  auto* serial = cmd->add_option("--serial", o->serial, "only the certificate with this serial");
  cmd->add_flag("--pem", o->pem,
                "with --serial: print the certificate and the intermediate (PEM), as sign writes")
      ->needs(serial);
  AddServerFlags(cmd, o->remote, /*required=*/false);
  AddAdminFlags(cmd, o->remote);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      if (!o->serial.empty()) {
        if (!o->remote.servers.empty()) {
          return Error(Code::kInvalidArgument,
                       "--serial reads the CA home; over the network use GET "
                       "/api/v1/certificates/SERIAL");
        }
        return ShowOne(ctx, *o);
      }
      ANCHOR_ASSIGN_OR_RETURN(nlohmann::json records, o->remote.servers.empty()
                                                          ? ListLocally(ctx, *o)
                                                          : ListRemotely(ctx, *o));
      if (o->attested) {
        nlohmann::json kept = nlohmann::json::array();
        for (auto& r : records) {
          if (r.value("key_attested", false)) {
            kept.push_back(std::move(r));
          }
        }
        records = std::move(kept);
      }
      if (ctx.json) {
        std::cout << records.dump(2) << "\n";
        return OkStatus();
      }
      std::printf("%-32s  %-7s  %-8s  %-20s  %s\n", "SERIAL", "PROFILE", "STATUS", "NOT AFTER",
                  "COMMON NAME");
      for (const auto& r : records) {
        std::printf("%-32s  %-7s  %-8s  %-20s  %s\n", r.value("serial", "").c_str(),
                    r.value("profile", "").c_str(), r.value("status", "").c_str(),
                    r.value("not_after", "").c_str(), r.value("common_name", "").c_str());
      }
      ctx.Say(std::to_string(records.size()) + " certificate(s)");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
