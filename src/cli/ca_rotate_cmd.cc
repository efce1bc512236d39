// SPDX-License-Identifier: Apache-2.0
// File: ca_rotate_cmd.cc: `anchor ca rotate`: a new intermediate generation, signed by the root
// here, or (the offline root's ceremony) a request for the offline root and the installation of
// what it signed.
#include <nlohmann/json.hpp>
#include <optional>

#include "ca/generation.h"
#include "cli/context.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/pem.h"
#include "home/offline_root.h"
#include "home/rotation.h"

namespace anchor::cli {
namespace {

// SayRotated tells what changed and what keeps answering for the retired generation; the
// result (stdout) is the new generation's number, or with `json` an object.
void SayRotated(Context& ctx, const home::CaHome& home, const home::Rotated& r) {
  ctx.Say("intermediate generation " + std::to_string(r.generation) + " (" + r.cert.CommonName() +
          ", until " + Iso8601(r.cert.NotAfter()) +
          ") is the issuing intermediate of this CA home from now on");
  std::string old_until = Iso8601(home.intermediate().NotAfter());
  ctx.Say("generation " + std::to_string(r.retired) + " is retired: it keeps answering OCSP and " +
          "its CRL (" + ca::CrlPath(r.retired) + ") for what it issued, until " + old_until);
  // serve's lifecycle thread reads intermediates/current at least every 10 s, and on SIGHUP.
  ctx.Say("a running `anchor serve` issues from generation " + std::to_string(r.generation) +
          " within 10 s, or at once on SIGHUP (`systemctl reload anchor`)");
  if (ctx.json) {
    const nlohmann::json out = {{"generation", r.generation},
                                {"retired", r.retired},
                                {"subject", r.cert.Subject()},
                                {"serial", r.cert.SerialHex()},
                                {"not_after", Iso8601(r.cert.NotAfter())},
                                {"retired_until", Iso8601(home.intermediate().NotAfter())}};
    PrintJson(out);
  } else {
    std::printf("%d\n", r.generation);
  }
}

}  // namespace

void RegisterCaRotate(CLI::App& ca, Context& ctx, Action& action) {
  struct Opts {
    int days = 1825;
    std::string key_type;
    std::string root_dir;
    std::string request_out;
    std::string install;
    std::string key_uri;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = ca.add_subcommand(
      "rotate",
      "a new intermediate, signed by the root, issues from now on; the old one keeps answering "
      "OCSP and its CRL for what it issued until that has expired. Prints the new generation's "
      "number (or --json)");
  cmd->add_option("--days", o->days, "validity of the new intermediate (default 1825)");
  cmd->add_option("--key-type", o->key_type, "its key type (default: anchor.toml's key_type)");
  cmd->add_option("--key-uri", o->key_uri,
                  "make the new intermediate's key inside this PKCS#11 token, never extractable "
                  "(RFC 7512 URI, as `anchor init --key-uri`): how a CA moves to an HSM")
      ->check(KeyUriCheck());
  cmd->add_option("--root-dir", o->root_dir, "directory holding root.key (default: the CA home)");
  cmd->add_option("--request-out", o->request_out,
                  "offline root: make the new key here and write its request to FILE, for "
                  "`anchor ca sign-intermediate` on the offline machine");
  cmd->add_option("--install", o->install,
                  "offline root: install the certificate the offline root signed (FILE)");
  AddJsonFlag(cmd, ctx);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      if (!o->request_out.empty() && !o->install.empty()) {
        return Error(Code::kInvalidArgument,
                     "--request-out and --install are two steps of the ceremony; give one");
      }
      home::RotateOptions opts;
      opts.days = o->days;
      opts.key_uri = o->key_uri;
      if (!o->key_type.empty()) {
        ANCHOR_ASSIGN_OR_RETURN(opts.key_type, crypto::ParseKeyType(o->key_type));
      }
      ANCHOR_ASSIGN_OR_RETURN(opts.passphrase, ctx.Passphrase());
      // With the keys: the passphrase that writes the new key must be the one that opens the
      // home's keys, or the home would hold keys no single passphrase opens (serve could not
      // take the new generation up, nor restart).
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      if (!o->request_out.empty()) {
        ANCHOR_TRY(CheckWritable(o->request_out));
        ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, home::PrepareRotation(*home, opts));
        ANCHOR_TRY(WriteOutput(o->request_out, csr.ToPem(), kPublicFileMode));
        std::string permit;
        for (const std::string& dns : home::PermittedDnsOf(home->intermediate())) {
          permit += " --permit-dns " + dns;
        }
        ANCHOR_ASSIGN_OR_RETURN(const std::optional<int> pending,
                                home::PendingGeneration(home->paths().home));
        // What the offline machine will print back ("signed '<subject>' ..."), to compare.
        ctx.Say("the key of generation " + std::to_string(pending.value_or(0)) + " (" +
                csr.Subject() + ") waits in " + home->paths().home +
                "/intermediates; its request is " + o->request_out);
        ctx.Say(
            "on the offline machine (DIR: the offline root's directory): anchor ca "
            "sign-intermediate " +
            o->request_out + " --root-dir DIR --days " + std::to_string(o->days) + permit +
            " --out next.crt");
        ctx.Say("then here: anchor ca rotate --install next.crt");
        return OkStatus();
      }
      if (!o->install.empty()) {
        ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(o->install));
        ANCHOR_ASSIGN_OR_RETURN(home::Rotated r,
                                home::InstallRotation(*home, cert, opts.passphrase, ctx.clock()));
        SayRotated(ctx, *home, r);
        return OkStatus();
      }
      const home::RootDir root_dir =
          home::RootDir::In(o->root_dir.empty() ? home->paths().home : o->root_dir);
      if (o->root_dir.empty() && !FileExists(root_dir.key)) {
        return Error(Code::kFailedPrecondition,
                     "`anchor ca rotate` needs the root key, and " + root_dir.key +
                         " does not exist (the root is kept offline): run `anchor ca rotate "
                         "--request-out FILE` and sign FILE on the offline machine (\"Keeping the "
                         "root offline\" in docs/OPERATIONS.md), or give --root-dir DIR");
      }
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey root_key,
                              home::LoadRootKey(root_dir, opts.passphrase, "anchor ca rotate"));
      ANCHOR_ASSIGN_OR_RETURN(
          home::Rotated r, home::RotateIntermediate(*home, root_key, opts, ctx.clock(), ctx.rng()));
      SayRotated(ctx, *home, r);
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
