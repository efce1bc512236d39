// SPDX-License-Identifier: Apache-2.0
// File: remote.h: the flags and connection set-up shared by commands that talk to `anchor serve`.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "cli/context.h"
#include "client/est_client.h"
#include "client/https_client.h"

namespace anchor::cli {

// RemoteFlags say how to reach and trust the server, and which certificate to present.
struct RemoteFlags {
  std::string server;       // https://host:port
  std::string ca_cert;      // PEM trust anchors for the server
  std::string fingerprint;  // SHA-256 of the CA root, to fetch cacerts once without --ca-cert
  std::string cert;         // client certificate (mTLS)
  std::string key;
  std::string tls_min = "1.3";
};

// AddServerFlags adds --server, --ca-cert, --fingerprint and --tls-min to `cmd`. With
// `required`, --server must be given.
CLI::Option* AddServerFlags(CLI::App* cmd, RemoteFlags& flags, bool required);

// AddAdminFlags adds --admin-cert and --admin-key (into `flags.cert`, `flags.key`).
void AddAdminFlags(CLI::App* cmd, RemoteFlags& flags);

// ServerCaPem returns the PEM to verify the server with: --ca-cert, else cacerts fetched and
// checked against --fingerprint.
Result<std::string> ServerCaPem(const RemoteFlags& flags);

// ConnectAsAdmin opens a client for the admin API: --cert/--key default to the CA home's
// admin.crt/admin.key and --ca-cert to its root.crt, so on the CA machine `--server URL` is
// enough.
Result<client::HttpsClient> ConnectAsAdmin(Context& ctx, RemoteFlags flags);

// CaChainPems are the files an enrolled client keeps: its certificate followed by the
// intermediates (what it sends in a handshake), and the roots (what it verifies peers with).
struct CaChainPems {
  std::string chain;
  std::string roots;
};

// FetchChainPems builds them for `leaf` from the server's cacerts, over the verified connection.
Result<CaChainPems> FetchChainPems(client::EstClient& est, const crypto::Certificate& leaf);

}  // namespace anchor::cli
