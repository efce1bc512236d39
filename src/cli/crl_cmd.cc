// SPDX-License-Identifier: Apache-2.0
// File: crl_cmd.cc: `anchor crl`: a new CRL signed by the intermediate (or, --root, the root).
#include <unistd.h>

#include "cli/context.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "home/offline_root.h"

namespace anchor::cli {
namespace {

struct RootCrlOptions {
  std::string root_dir;                   // empty: the CA home
  std::vector<std::string> revoke_files;  // intermediates to revoke
  std::string reason = "superseded";
  int days = 365;
};

// RootCrl signs the root's next CRL where the root key is (home/offline_root.h): the CA home,
// or --root-dir on the offline machine; no CA home is needed there.
Result<crypto::Crl> RootCrl(Context& ctx, const RootCrlOptions& o) {
  ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* passphrase, ctx.Passphrase());
  const home::RootDir dir = home::RootDir::In(o.root_dir.empty() ? ctx.Home() : o.root_dir);
  ANCHOR_ASSIGN_OR_RETURN(home::Root root, home::LoadRoot(dir, passphrase, "anchor crl --root"));
  ANCHOR_ASSIGN_OR_RETURN(const int reason, crypto::ParseReason(o.reason));
  std::vector<crypto::Certificate> revoke;
  const std::string issuing = home::CaPaths::In(ctx.Home()).intermediate_crt;
  auto current = FileExists(issuing) ? crypto::LoadCertificateFile(issuing)
                                     : Result<crypto::Certificate>(Error(Code::kNotFound, ""));
  for (const std::string& f : o.revoke_files) {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::LoadCertificateFile(f));
    if (current && current->Sha256Fingerprint() == cert.Sha256Fingerprint()) {
      return Error(Code::kInvalidArgument,
                   f + " is the intermediate that issues now; rotate it first (anchor ca rotate)");
    }
    revoke.push_back(std::move(cert));
  }
  return home::NextRootCrl(dir, root, revoke, reason, ctx.clock(), o.days);
}

}  // namespace

void RegisterCrl(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string out;
    bool pem = false;
    bool root = false;
    RootCrlOptions root_crl;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd =
      app.add_subcommand("crl", "sign a new CRL (RFC 5280) of every revoked certificate");
  cmd->add_option("--out,-o", o->out, "CRL file (default stdout)")
      ->check(command_line::NonEmptyPath());
  cmd->add_flag("--pem", o->pem, "PEM instead of DER");
  cmd->add_flag("--root", o->root,
                "the root's CRL (about the intermediate), for relying parties that check every "
                "level, e.g. nginx ssl_crl");
  cmd->add_option("--days", o->root_crl.days, "validity of the root's CRL (default 365)");
  cmd->add_option("--root-dir", o->root_crl.root_dir,
                  "with --root: the directory holding root.key (default: the CA home), e.g. on "
                  "the offline machine");
  cmd->add_option("--revoke-intermediate", o->root_crl.revoke_files,
                  "with --root: also list this retired intermediate (certificate file; "
                  "repeatable); the root's CRL keeps every one it listed before (root.crl beside "
                  "root.key)");
  cmd->add_option("--reason", o->root_crl.reason,
                  "with --revoke-intermediate: CRLReason (default superseded)");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      if (!o->pem && o->out.empty() && ::isatty(STDOUT_FILENO)) {
        return Error(Code::kInvalidArgument, "a DER CRL is binary; give --out FILE or --pem");
      }
      if (!o->root && (!o->root_crl.root_dir.empty() || !o->root_crl.revoke_files.empty())) {
        return Error(Code::kInvalidArgument,
                     "--root-dir and --revoke-intermediate are for the root's CRL: add --root");
      }
      Result<crypto::Crl> signed_crl = Error(Code::kInternal, "no CRL");
      if (o->root) {
        signed_crl = RootCrl(ctx, o->root_crl);
      } else {
        ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
        signed_crl = home->authority().BuildCrl();
      }
      ANCHOR_ASSIGN_OR_RETURN(crypto::Crl crl, std::move(signed_crl));
      const std::vector<uint8_t> der = crl.ToDer();
      ANCHOR_TRY(WriteOutput(o->out, o->pem ? crl.ToPem() : std::string(der.begin(), der.end()),
                             kPublicFileMode));
      if (!o->out.empty()) {
        ctx.Say("wrote CRL #" + std::to_string(crl.Number()) + " with " +
                std::to_string(crl.Entries().size()) + " revoked certificate(s), next update " +
                Iso8601(crl.NextUpdate()) + ", to " + o->out);
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
