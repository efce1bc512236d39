// SPDX-License-Identifier: Apache-2.0
// File: remote.cc: server flags and the admin connection (CA pinning is in agent/).
#include "cli/remote.h"

#include "client/server_list.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"

namespace anchor::cli {

CLI::Option* AddServerFlags(CLI::App* cmd, RemoteFlags& flags, bool required) {
  CLI::Option* server =
      command_line::AddServerOption(cmd, flags.servers, client::ServerList::CheckUrls);
  if (required) {
    server->required();
  }
  cmd->add_option("--ca-cert", flags.ca_cert, "PEM file of the CA that the server must chain to");
  cmd->add_option("--fingerprint", flags.fingerprint,
                  "SHA-256 fingerprint of the CA root: fetch and pin the CA (instead of --ca-cert)")
      ->check(command_line::Sha256Fingerprint());
  cmd->add_option("--tls-min", flags.tls_min, "1.3 (default) or 1.2")
      ->check(CLI::IsMember({"1.2", "1.3"}));
  return server;
}

void AddAdminFlags(CLI::App* cmd, RemoteFlags& flags) {
  cmd->add_option("--admin-cert", flags.cert,
                  "admin client certificate (default: CA home's admin.crt)");
  cmd->add_option("--admin-key", flags.key, "its key (default: CA home's admin.key)");
}

Result<agent::ServerTrust> Trust(const Context& ctx, const RemoteFlags& flags) {
  ANCHOR_ASSIGN_OR_RETURN(client::ServerList servers,
                          client::ServerList::Parse(flags.servers, "--server"));
  servers.SetSwitchLog([&ctx](const std::string& line) { ctx.Warn(line); });
  std::string ca_cert = flags.ca_cert;
  // On the CA machine the home's root is the server's: every --server command takes it without
  // --ca-cert (enroll and renew as the admin commands do).
  const home::CaPaths home = home::CaPaths::In(ctx.Home());
  if (ca_cert.empty() && flags.fingerprint.empty() && FileExists(home.root_crt)) {
    ca_cert = home.root_crt;
  }
  return agent::ServerTrust{std::move(servers), std::move(ca_cert), flags.fingerprint,
                            flags.tls_min == "1.2"};
}

Result<AdminConnection> ConnectAsAdmin(Context& ctx, RemoteFlags flags) {
  const home::CaPaths home = home::CaPaths::In(ctx.Home());
  if (flags.cert.empty() && FileExists(home.admin_crt)) {
    flags.cert = home.admin_crt;
    flags.key = home.admin_key;
  }
  if (flags.cert.empty() || flags.key.empty()) {
    return Error(Code::kInvalidArgument,
                 "the admin API needs an admin certificate: give --admin-cert and --admin-key "
                 "(or run on the CA machine, where the CA home's admin.crt is used)");
  }
  ANCHOR_ASSIGN_OR_RETURN(agent::ServerTrust trust, Trust(ctx, flags));
  client::TlsOptions tls;
  ANCHOR_ASSIGN_OR_RETURN(tls.ca_pem, agent::ServerCaPem(trust));
  tls.cert_file = flags.cert;
  tls.key_file = flags.key;
  tls.allow_tls12 = flags.tls_min == "1.2";
  ANCHOR_ASSIGN_OR_RETURN(client::HttpsClient http, client::HttpsClient::Create(std::move(tls)));
  return AdminConnection{std::move(http), std::move(trust.servers)};
}

}  // namespace anchor::cli
