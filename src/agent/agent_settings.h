// SPDX-License-Identifier: Apache-2.0
// File: agent_settings.h: what a device agent is told: its CA, its identity, its files, how it
// enrolls and when it renews. The command line (agent_cli/) fills it; the worker reads it.
#pragma once

#include <string>
#include <vector>

#include "agent/renewal_schedule.h"

namespace anchor::agent {

// AgentSettings are the settings of one device agent, as `anchor-agent run` takes them.
struct AgentSettings {
  // servers are the values of --server: each a URL of anchor serve or a comma-separated list of
  // them (the replicas of one CA, tried in turn: client::ServerList::Parse).
  std::vector<std::string> servers;
  std::string ca_cert, fingerprint, tls_min = "1.3";
  std::string common_name;
  std::vector<std::string> sans;
  std::string key, cert, ca_out;
  std::string token, token_file, factory_cert, factory_key;
  std::string key_type = "ec-p256";
  // tpm is the TCTI of the TPM the device's keys are made in (--tpm), e.g. device:/dev/tpmrm0;
  // empty: key files (a key file that holds a TPM's blob still loads, from tpm2-tss's default).
  std::string tpm;
  // attest proves to the CA that each new key is in that TPM (--attest; docs/ARCHITECTURE.md
  // "TPM attestation"): needed where the profile requires attestation.
  bool attest = false;
  std::string on_renew;
  double renew_at = kDefaultRenewAt;
  bool rekey = true;
};

}  // namespace anchor::agent
