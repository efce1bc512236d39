// SPDX-License-Identifier: Apache-2.0
// File: key_cmd.cc: `anchor key`: a new private key on this machine (the device side).
#include "cli/context.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "home/ca_home.h"

namespace anchor::cli {

void RegisterKey(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string type = "ec-p256";
    std::string out;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("key", "generate a private key (PKCS#8 PEM, mode 0600)");
  cmd->add_option("--type,-t", o->type,
                  "ec-p256 (default), ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096");
  cmd->add_option("--out,-o", o->out, "key file to write")
      ->required()
      ->check(command_line::NonEmptyPath());
  cmd->add_flag("--force", o->force, "replace an existing key file");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(crypto::KeyType type, crypto::ParseKeyType(o->type));
      if (!o->force && FileExists(o->out)) {
        return Error(Code::kAlreadyExists,
                     o->out + " already exists; refusing to replace a key (use --force)");
      }
      ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* pass, ctx.Passphrase());
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(type));
      ANCHOR_TRY(crypto::WritePrivateKeyFile(o->out, key, pass, /*exclusive=*/!o->force));
      ctx.Say("wrote " + std::string(crypto::KeyTypeName(type)) + " key to " + o->out +
              (pass ? " (encrypted)" : ""));
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
