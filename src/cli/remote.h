// SPDX-License-Identifier: Apache-2.0
// File: remote.h: the flags and connection set-up shared by commands that talk to `anchor serve`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "agent/device_enrollment.h"
#include "cli/context.h"
#include "client/https_client.h"

namespace anchor::cli {

// RemoteFlags say how to reach and trust the server, and which certificate to present.
struct RemoteFlags {
  // servers are the --server values: each https://host:port, or several separated by commas;
  // all of them the replicas of one CA (client::ServerList).
  std::vector<std::string> servers;
  std::string ca_cert;      // PEM trust anchors for the server
  std::string fingerprint;  // SHA-256 of the CA root, to fetch cacerts once without --ca-cert
  std::string cert;         // client certificate (mTLS)
  std::string key;
  std::string tls_min = "1.3";
};

// AddServerFlags adds --server (repeatable, or a comma-separated list: the replicas of one CA),
// --ca-cert, --fingerprint and --tls-min to `cmd`. With `required`, --server must be given.
CLI::Option* AddServerFlags(CLI::App* cmd, RemoteFlags& flags, bool required);

// AddAdminFlags adds --admin-cert and --admin-key (into `flags.cert`, `flags.key`).
void AddAdminFlags(CLI::App* cmd, RemoteFlags& flags);

// Trust is the flags as the agent layer takes them: the replicas of --server (kInvalidArgument
// for a URL given twice), each switch between them said once in a warning on stderr; without
// --ca-cert or --fingerprint, the CA home's root.crt when there is one (on the CA machine).
Result<agent::ServerTrust> Trust(const Context& ctx, const RemoteFlags& flags);

// AdminConnection is what an admin command talks through: the connection, and the replicas it
// fails over between (after a request, `servers.Current()` is the one that answered).
struct AdminConnection {
  client::HttpsClient http;
  client::ServerList servers;
};

// ConnectAsAdmin opens a client for the admin API: --cert/--key default to the CA home's
// admin.crt/admin.key and --ca-cert to its root.crt, so on the CA machine `--server URL` is
// enough.
Result<AdminConnection> ConnectAsAdmin(Context& ctx, RemoteFlags flags);

}  // namespace anchor::cli
