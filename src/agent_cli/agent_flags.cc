// SPDX-License-Identifier: Apache-2.0
// File: agent_flags.cc: the flags of `anchor-agent run` and `status`.
#include "agent_cli/agent_flags.h"

#include <CLI/CLI.hpp>

#include "command_line/bash_completion.h"
#include "command_line/parse_command_line.h"
#include "command_line/value_checks.h"

namespace anchor::agent_cli {
namespace {

// AddAgentCommands defines `run` and `status` on `app`, bound to `flags`; it returns `run`.
CLI::App* AddAgentCommands(CLI::App& app, AgentFlags& flags) {
  agent::AgentSettings& o = flags.settings;
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "enroll if needed, then renew at 2/3 of each lifetime");
  command_line::AddServerOption(run, o.servers)->required();
  run->add_option("--ca-cert", o.ca_cert, "PEM file of the CA the server chains to");
  run->add_option("--fingerprint", o.fingerprint, "SHA-256 of the CA root (instead of --ca-cert)")
      ->check(command_line::Sha256Fingerprint());
  run->add_option("--tls-min", o.tls_min, "1.3 (default) or 1.2")
      ->check(CLI::IsMember({"1.2", "1.3"}));
  run->add_option("--cn", o.common_name, "the device id to enroll (the token's CN)");
  run->add_option("--san", o.sans, "further names (repeatable)");
  run->add_option("--key", o.key, "key file (made here, 0600)")->required();
  run->add_option("--cert", o.cert, "certificate file (full chain)")->required();
  run->add_option("--ca-out", o.ca_out, "write the CA root(s) here");
  run->add_option("--token", o.token, "one-time enrollment token (or --token-file, $ANCHOR_TOKEN)");
  run->add_option("--token-file", o.token_file, "file holding the token");
  run->add_option("--factory-cert", o.factory_cert, "enroll with a factory certificate");
  run->add_option("--factory-key", o.factory_key, "its key");
  run->add_option("--key-type", o.key_type, "type of the keys made here (default ec-p256)");
  auto* tpm =
      run->add_option("--tpm", o.tpm,
                      "make the keys inside the TPM reached by this TCTI (device:/dev/tpmrm0, "
                      "swtpm:host=H,port=P); --key then holds the TPM's sealed blob (TSS2 "
                      "PRIVATE KEY), and the CSR and the TLS handshakes to the CA are signed in "
                      "the TPM")
          ->check(command_line::NonEmptyTcti());
  run->add_flag("--attest", o.attest,
                "prove to the CA that each new key is in the TPM (its endorsement certificate "
                "and a certification of the key): what a profile with require_attestation needs")
      ->needs(tpm);
  run->add_option(
      "--on-renew", o.on_renew,
      "shell command after each new certificate ($ANCHOR_CERT, $ANCHOR_KEY, $ANCHOR_SERIAL)");
  run->add_option("--renew-at", o.renew_at, "share of the lifetime after which to renew (0.667)")
      ->check(CLI::Range(0.0, 1.0));
  run->add_flag("!--keep-key", o.rekey, "renew with the same key (default: a new key each time)");
  run->add_flag(
      "--once", flags.once,
      "enroll or renew if due, then exit (for cron and systemd timers; exit 75: try again "
      "later)");
  CLI::App* status = app.add_subcommand("status", "identity, expiry, next renewal, last error");
  status->add_option("--cert", flags.status_cert, "the certificate the agent keeps")->required();
  status->add_flag("--json", flags.status_json,
                   "print one JSON document on stdout (the shape of anchor's --json)");
  return run;
}

}  // namespace

std::variant<AgentCommand, int> ParseAgentArgs(int argc, char** argv, const std::string& program,
                                               const std::string& about, AgentFlags& flags) {
  CLI::App app{about, program};
  // --version and --help-all after a command too (`anchor-agent run --version`), as in anchor;
  // set before the commands are added, which take it from here.
  app.fallthrough();
  const CLI::App* run = AddAgentCommands(app, flags);
  command_line::AddStandardFlags(app);
  command_line::AddCompletionCommand(app);
  // A usage error exits 2 like every program's (CLI11's own codes, 105 or 106, mean nothing to a
  // service manager).
  if (const std::optional<int> ended = command_line::Parse(app, argc, argv)) {
    return *ended;
  }
  // Only plain values leave this function: the subcommands die with `app`.
  return run->parsed() ? AgentCommand::kRun : AgentCommand::kStatus;
}

}  // namespace anchor::agent_cli
