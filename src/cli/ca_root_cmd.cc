// SPDX-License-Identifier: Apache-2.0
// File: ca_root_cmd.cc: the offline root's commands: `anchor ca take-root-offline DIR` (online)
// and `anchor ca sign-intermediate REQUEST --root-dir DIR` (on the offline machine).
#include "cli/context.h"
#include "core/file_io.h"
#include "core/text.h"
#include "home/offline_root.h"
#include "home/rotation.h"

namespace anchor::cli {

void RegisterCaTakeRootOffline(CLI::App& ca, Context& ctx, Action& action) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = ca.add_subcommand(
      "take-root-offline",
      "move the root key out of the CA home into DIR (new or empty; root.key and root.crt), to "
      "be kept offline; the home keeps root.crt");
  cmd->add_option("dir", *dir, "directory for the root key, e.g. on removable media")->required();
  cmd->callback([&ctx, &action, dir] {
    action = [&ctx, dir]() -> Status {
      const home::CaPaths paths = home::CaPaths::In(ctx.Home());
      if (!FileExists(paths.config)) {
        return Error(Code::kFailedPrecondition, "no CA in " + ctx.Home() + "; run `anchor init`");
      }
      ANCHOR_TRY(home::TakeRootOffline(paths, *dir));
      ctx.Say("the root key is now only in " + home::RootDir::In(*dir).key + "; " + paths.root_key +
              " is removed");
      ctx.Say(
          "the file system may keep its old blocks: on a disk that is not encrypted, wipe the "
          "free space or treat the key as exposed");
      return OkStatus();
    };
  });
}

void RegisterCaSignIntermediate(CLI::App& ca, Context& ctx, Action& action) {
  struct Opts {
    std::string request;
    std::string root_dir;
    std::string out;
    int days = 1825;
    std::vector<std::string> permit_dns;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = ca.add_subcommand(
      "sign-intermediate",
      "on the offline machine: sign the request of `anchor ca rotate --request-out` with the "
      "root key in --root-dir (no CA home needed)");
  cmd->add_option("request", o->request, "the request file")->required();
  cmd->add_option("--root-dir", o->root_dir, "directory holding root.key and root.crt")->required();
  cmd->add_option("--out,-o", o->out, "the new intermediate's certificate file")->required();
  cmd->add_option("--days", o->days, "its validity in days (default 1825), clamped to the root");
  cmd->add_option("--permit-dns", o->permit_dns,
                  "its DNS name constraints (repeatable): those of the issuing intermediate, as "
                  "`anchor ca rotate --request-out` prints them");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_TRY(CheckWritable(o->out));
      ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadInput(o->request));
      auto csr = crypto::Csr::Parse(pem);
      if (!csr) {
        return csr.error().Prefixed(o->request);
      }
      ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* passphrase, ctx.Passphrase());
      ANCHOR_ASSIGN_OR_RETURN(home::Root root,
                              home::LoadRoot(home::RootDir::In(o->root_dir), passphrase,
                                             "anchor ca sign-intermediate"));
      home::IntermediateRequest request{std::move(csr).value(), o->days, o->permit_dns};
      ANCHOR_ASSIGN_OR_RETURN(
          crypto::Certificate cert,
          home::SignIntermediate(request, root.cert, root.key, ctx.clock(), ctx.rng()));
      ANCHOR_TRY(WriteOutput(o->out, cert.ToPem(), kPublicFileMode));
      ctx.Say("signed '" + cert.Subject() + "' (serial " + cert.SerialHex() + ", until " +
              Iso8601(cert.NotAfter()) +
              (o->permit_dns.empty() ? "" : ", DNS names under " + Join(o->permit_dns, ", ")) +
              ") to " + o->out);
      ctx.Say("install it on the CA: anchor ca rotate --install " + o->out);
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
