// SPDX-License-Identifier: Apache-2.0
// File: token_cmd.cc: `anchor token create`: a one-time enrollment token, shown once.
#include <iostream>

#include "ca/enrollment_token.h"
#include "cli/context.h"
#include "cli/remote.h"
#include "client/admin_client.h"
#include "command_line/value_checks.h"
#include "core/duration.h"

namespace anchor::cli {

namespace {

struct TokenOpts {
  std::string cn;
  std::vector<std::string> sans;
  std::string profile = "device";
  std::string ttl = "24h";
  RemoteFlags remote;
};

// CreateRemotely asks `anchor serve` for the token through the admin API.
Status CreateRemotely(Context& ctx, const TokenOpts& o) {
  ANCHOR_ASSIGN_OR_RETURN(AdminConnection conn, ConnectAsAdmin(ctx, o.remote));
  client::AdminClient admin(conn.http, conn.servers);
  ANCHOR_ASSIGN_OR_RETURN(nlohmann::json created,
                          admin.CreateToken(o.cn, o.sans, o.profile, o.ttl));
  if (ctx.json) {
    PrintJson({{"token", created.value("token", "")},
               {"common_name", o.cn},
               {"profile", o.profile},
               {"expires_at", created.value("expires_at", "")}});
    return OkStatus();
  }
  std::cout << created.value("token", "") << "\n";
  ctx.Say("token for CN=" + o.cn + " (" + o.profile + "), single use, expires " +
          created.value("expires_at", "") + "; it is not stored and cannot be shown again");
  return OkStatus();
}

}  // namespace

void RegisterToken(CLI::App& app, Context& ctx, Action& action) {
  auto o = std::make_shared<TokenOpts>();
  CLI::App* token = app.add_subcommand("token", "one-time enrollment tokens");
  token->require_subcommand(1);
  CLI::App* create = token->add_subcommand(
      "create", "create a token bound to names and a profile; it is printed once, stored hashed");
  create->add_option("--cn", o->cn, "the common name (device id) the token may enroll")->required();
  create->add_option("--san", o->sans, "further names the token allows (repeatable)");
  create->add_option("--profile,-p", o->profile,
                     "server, client, device (default), service or peer (an MQTT broker: "
                     "serverAuth for its listener, clientAuth for the revocation feed)");
  create->add_option("--ttl", o->ttl, "how long it may be redeemed: 30m, 24h (default), 7d")
      ->check(command_line::Duration());
  AddJsonFlag(create, ctx);
  AddServerFlags(create, o->remote, /*required=*/false);
  AddAdminFlags(create, o->remote);
  create->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      if (!o->remote.servers.empty()) {
        return CreateRemotely(ctx, *o);
      }
      ANCHOR_ASSIGN_OR_RETURN(ca::Profile profile, ca::ParseProfile(o->profile));
      ANCHOR_ASSIGN_OR_RETURN(std::chrono::seconds ttl, ParseDuration(o->ttl));
      ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::GeneralName> sans, ctx.ParseSans(o->sans));
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/false));
      ANCHOR_ASSIGN_OR_RETURN(ca::CreatedToken created,
                              ca::CreateToken(home->policy(), home->store(), ctx.rng(), ctx.clock(),
                                              ca::NameRequest{o->cn, sans}, profile, ttl));
      if (ctx.json) {
        PrintJson({{"token", std::string(created.token.data(), created.token.size())},
                   {"common_name", o->cn},
                   {"profile", o->profile},
                   {"expires_at", Iso8601(FromUnixSeconds(created.record.expires_at))}});
        return OkStatus();
      }
      std::cout << std::string_view(created.token.data(), created.token.size()) << "\n";
      ctx.Say("token for CN=" + o->cn + " (" + o->profile + "), single use, expires " +
              Iso8601(FromUnixSeconds(created.record.expires_at)) +
              "; it is not stored and cannot be shown again");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
