// SPDX-License-Identifier: Apache-2.0
// File: enroll_cmd.cc: `anchor enroll`: get a certificate from `anchor serve` over EST.
#include "agent/device_enrollment.h"
#include "cli/context.h"
#include "cli/remote.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "crypto/tpm2_key.h"

namespace anchor::cli {

void RegisterEnroll(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    RemoteFlags remote;
    std::string token;
    std::string token_file;
    std::string cn;
    std::vector<std::string> sans;
    std::string key;
    std::string cert;
    std::string ca_out;
    std::string key_type = "ec-p256";
    std::string tpm;
    bool attest = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "enroll", "enroll with anchor serve (EST): make the key here, get the certificate");
  AddServerFlags(cmd, o->remote, /*required=*/true);
  cmd->add_option("--token", o->token,
                  "one-time enrollment token (or --token-file, $ANCHOR_TOKEN)");
  cmd->add_option("--token-file", o->token_file, "file holding the token");
  cmd->add_option("--factory-cert", o->remote.cert,
                  "enroll with a factory certificate instead of a token (bootstrap CA)");
  cmd->add_option("--factory-key", o->remote.key, "the factory certificate's key");
  cmd->add_option("--cn", o->cn, "common name to ask for (the token's)")->required();
  cmd->add_option("--san", o->sans, "further names to ask for (repeatable)");
  cmd->add_option("--key", o->key, "key file: used if it exists, else generated here (0600)")
      ->required();
  cmd->add_option("--cert", o->cert, "certificate file to write (full chain)")->required();
  cmd->add_option("--ca-out", o->ca_out, "write the CA root(s) here, to verify peers with");
  cmd->add_option("--key-type", o->key_type, "type of a generated key (default ec-p256)");
  auto* tpm = cmd->add_option("--tpm", o->tpm,
                              "make the key inside the TPM reached by this TCTI "
                              "(device:/dev/tpmrm0, swtpm:host=H,port=P); --key then holds the "
                              "TPM's sealed blob")
                  ->check(command_line::NonEmptyTcti());
  cmd->add_flag("--attest", o->attest,
                "prove to the CA that the key is in the TPM (its endorsement certificate and a "
                "certification of the key): what a profile with require_attestation needs")
      ->needs(tpm);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      crypto::SetTpm2Tcti(o->tpm);
      if (!o->tpm.empty() && FileExists(o->key)) {
        // An existing --key is used as it is: with --tpm it must be the TPM's already.
        ANCHOR_ASSIGN_OR_RETURN(std::string existing, ReadFile(o->key));
        if (!crypto::IsTpm2KeyPem(existing)) {
          return Error(Code::kInvalidArgument,
                       o->key +
                           " holds a key outside the TPM, which enroll would use as it is; "
                           "with --tpm, name a new --key file (the key is made in the TPM)");
        }
      }
      agent::EnrollRequest request;
      ANCHOR_ASSIGN_OR_RETURN(request.trust, Trust(ctx, o->remote));
      request.files = agent::DeviceFiles{o->key, o->cert, o->ca_out};
      request.common_name = o->cn;
      ANCHOR_ASSIGN_OR_RETURN(request.sans, ctx.ParseSans(o->sans));
      ANCHOR_ASSIGN_OR_RETURN(request.token, agent::ReadToken(o->token, o->token_file));
      request.factory_cert = o->remote.cert;
      request.factory_key = o->remote.key;
      request.key_type = o->key_type;
      request.in_tpm = !o->tpm.empty();
      request.attest = o->attest;
      ANCHOR_ASSIGN_OR_RETURN(agent::EnrollResult enrolled, agent::Enroll(request));
      ctx.Say("enrolled " + enrolled.cert.Subject() + " serial " + enrolled.cert.SerialHex() +
              ", valid until " + Iso8601(enrolled.cert.NotAfter()));
      ctx.Say("  certificate: " + o->cert + "\n  key:         " + o->key +
              (!enrolled.generated_key ? ""
               : o->tpm.empty()        ? " (generated here; it never left this machine)"
                                       : " (the TPM's sealed blob: the key was made in the TPM "
                                         "and never leaves it)"));
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
