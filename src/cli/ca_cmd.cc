// SPDX-License-Identifier: Apache-2.0
// File: ca_cmd.cc: `anchor ca`: the CA's own chores, one subcommand per file (ca_*_cmd.cc).
#include "cli/context.h"

namespace anchor::cli {

void RegisterCa(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* ca = app.add_subcommand("ca", "the CA's own certificates and keys");
  ca->require_subcommand(1);
  RegisterCaServerCert(*ca, ctx, action);
  RegisterCaRotate(*ca, ctx, action);
  RegisterCaSignIntermediate(*ca, ctx, action);
  RegisterCaTakeRootOffline(*ca, ctx, action);
}

}  // namespace anchor::cli
