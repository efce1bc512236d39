// SPDX-License-Identifier: Apache-2.0
// File: server_settings.cc: the transport's [server] keys through core/toml_fields.
#include "server/server_settings.h"

#include <sstream>

#include "core/toml_fields.h"

namespace anchor::server {

Result<ServerSettings> ParseServerSettings(const toml::table& server, const std::string& origin) {
  using toml_fields::BoundedInt;
  const std::string where = "server.";
  ServerSettings s;
  ANCHOR_ASSIGN_OR_RETURN(s.threads,
                          BoundedInt(server, "threads", s.threads, 0, 256, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(
      s.max_connections,
      BoundedInt(server, "max_connections", s.max_connections, 1, 1000000, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(s.max_handshakes, BoundedInt(server, "max_handshakes", s.max_handshakes,
                                                       1, 100000, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(s.handshake_share_per_address,
                          BoundedInt(server, "handshake_share_per_address",
                                     s.handshake_share_per_address, 1, 100000, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(
      s.max_body_kib, BoundedInt(server, "max_body_kib", s.max_body_kib, 1, 1024, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(s.handshake_timeout_seconds,
                          BoundedInt(server, "handshake_timeout_seconds",
                                     s.handshake_timeout_seconds, 1, 60, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(s.header_timeout_seconds,
                          BoundedInt(server, "header_timeout_seconds", s.header_timeout_seconds, 1,
                                     600, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(
      s.idle_timeout_seconds,
      BoundedInt(server, "idle_timeout_seconds", s.idle_timeout_seconds, 1, 3600, origin, where));
  ANCHOR_ASSIGN_OR_RETURN(
      s.metrics_listen, toml_fields::Scalar<std::string>(server["metrics_listen"], s.metrics_listen,
                                                         origin, where + "metrics_listen"));
  return s;
}

std::string ServerSettingsToml(const ServerSettings& settings) {
  std::ostringstream out;
  out << "# Limits of `anchor serve`. threads = 0: one per core.\n"
      << "threads = " << settings.threads << "\n"
      << "# At max_connections the connection idle the longest is closed for a new one.\n"
         "# Connections still in their TLS handshake have a deadline and a budget of their own "
         "(at\n"
         "# most half of max_connections); when it is spent, the oldest handshake of a client\n"
         "# address (IPv6: /64) holding more than its share gives way, else the oldest handshake.\n"
      << "max_connections = " << settings.max_connections << "\n"
      << "max_handshakes = " << settings.max_handshakes << "\n"
      << "handshake_share_per_address = " << settings.handshake_share_per_address << "\n"
      << "max_body_kib = " << settings.max_body_kib << "\n"
      << "handshake_timeout_seconds = " << settings.handshake_timeout_seconds << "\n"
      << "header_timeout_seconds = " << settings.header_timeout_seconds << "\n"
      << "idle_timeout_seconds = " << settings.idle_timeout_seconds << "\n";
  // metrics_listen is optional and not written by default: the default file stays the one every
  // earlier anchor wrote (config_file_test).
  if (!settings.metrics_listen.empty()) {
    out << "metrics_listen = \"" << settings.metrics_listen << "\"\n";
  }
  return out.str();
}

}  // namespace anchor::server
