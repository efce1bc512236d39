// SPDX-License-Identifier: Apache-2.0
// File: broker_config.h: what the plugin needs to know of Mosquitto's own configuration, which
// the plugin API does not show plugins: the certificate files of its TLS listeners.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace anchor::mqtt {

// ListenerCertificate is one `certfile` of Mosquitto's configuration and where it was set.
struct ListenerCertificate {
  std::string path;   // as written after `certfile`
  std::string where;  // "listener 8883 in /etc/mosquitto/conf.d/anchor.conf:4"
};

// ListenerCertificates reads the Mosquitto configuration file `config_path` as Mosquitto 2.0
// reads it (one `key value` per line, `#` starts a comment line, `include_dir DIR` reads
// DIR/*.conf in name order) and returns every `certfile`, in order. Errors name the file that
// could not be read.
Result<std::vector<ListenerCertificate>> ListenerCertificates(const std::string& config_path);

// BrokerConfigPath returns the configuration file this process (the broker) was started with:
// the argument of `-c` or `--config-file` in /proc/self/cmdline; nullopt when there is none
// (Mosquitto then runs with its defaults, which have no TLS listener).
std::optional<std::string> BrokerConfigPath();

}  // namespace anchor::mqtt
