// SPDX-License-Identifier: Apache-2.0
// File: server_settings.h: the transport's keys of anchor.toml's [server] table (threads,
// connection and handshake budgets, body limit, timeouts), read and written beside the transport
// that uses them. The table also holds the CA's enrollment choices (ca::ServerPolicy); the
// composition root (home/) reads the file once, checks the table's keys against both and hands
// each layer the table.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor::server {

// ServerSettings are the limits of `anchor serve` an operator sets in [server]; each default is
// the one `anchor init` writes.
struct ServerSettings {
  int threads = 0;             // 0: one per core
  int max_connections = 1024;  // at the limit, the longest idle connection gives way
  int max_handshakes = 256;    // connections still in their TLS handshake; the oldest gives way
  int handshake_share_per_address = 32;  // beyond max_handshakes, an address over it gives way
  int max_body_kib = 64;                 // request body limit
  int handshake_timeout_seconds = 5;     // to finish the TLS handshake
  int header_timeout_seconds = 10;       // to send a request and its header (after the handshake)
  int idle_timeout_seconds = 60;         // between keep-alive requests
  // metrics_listen is "ADDRESS:PORT" of the plain-HTTP listener that serves /metrics alone, for
  // scrapers without the admin certificate; "" (the default): none. `--metrics-listen` wins.
  std::string metrics_listen;
};

// kServerSettingKeys are the keys of [server] that ServerSettings reads.
inline constexpr std::string_view kServerSettingKeys[] = {
    "threads",
    "max_connections",
    "max_handshakes",
    "handshake_share_per_address",
    "max_body_kib",
    "handshake_timeout_seconds",
    "header_timeout_seconds",
    "idle_timeout_seconds",
    "metrics_listen",
};

// ParseServerSettings reads the transport's keys of the [server] table `server`; absent keys keep
// their defaults, a wrong type or a value out of range is kInvalidArgument naming
// "server.KEY" after `origin`. Other keys are left alone: the table is shared, and whoever reads
// the whole file refuses the keys no layer reads.
Result<ServerSettings> ParseServerSettings(const toml::table& server, const std::string& origin);

// ServerSettingsToml renders `settings` as the lines `anchor init` writes at the head of [server],
// with their comments.
std::string ServerSettingsToml(const ServerSettings& settings);

}  // namespace anchor::server
