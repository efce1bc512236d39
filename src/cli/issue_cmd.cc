// SPDX-License-Identifier: Apache-2.0
// File: issue_cmd.cc: `anchor issue`: key + CSR + sign in one step, for development.
#include <unistd.h>

#include <filesystem>

#include "cli/context.h"
#include "core/file_io.h"
#include "home/ca_home.h"

namespace anchor::cli {
namespace {

// IsServeCredential is true when `path` is the CA home's server.crt or server.key.
bool IsServeCredential(const std::string& home, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(fs::absolute(path), ec);
  const home::CaPaths paths = home::CaPaths::In(home);
  for (const std::string& own : {paths.server_crt, paths.server_key}) {
    std::error_code own_ec;
    if (!ec && fs::weakly_canonical(fs::absolute(own), own_ec) == target && !own_ec) {
      return true;
    }
  }
  return false;
}

}  // namespace

void RegisterIssue(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string cn;
    std::string profile = "peer";
    std::vector<std::string> sans;
    std::optional<int> days;
    std::string key_type = "ec-p256";
    std::string cert;
    std::string key;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("issue", "make a key and a signed certificate in one step");
  cmd->add_option("--cn", o->cn, "common name")->required();
  cmd->add_option("--profile,-p", o->profile,
                  "server, client, device, service, peer or admin (default peer)");
  cmd->add_option("--san", o->sans, "dns:NAME, ip:ADDRESS, uri:URI or email:ADDR (repeatable)");
  cmd->add_option("--days", o->days, "validity in days");
  cmd->add_option("--key-type", o->key_type, "key type (default ec-p256)");
  cmd->add_option("--cert", o->cert, "certificate file to write (full chain)")->required();
  cmd->add_option("--key", o->key, "key file to write (0600)")->required();
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(ca::Profile profile, ca::ParseProfile(o->profile));
      ANCHOR_ASSIGN_OR_RETURN(crypto::KeyType type, crypto::ParseKeyType(o->key_type));
      ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::GeneralName> sans, ctx.ParseSans(o->sans));
      std::error_code ec;
      if (std::filesystem::weakly_canonical(std::filesystem::absolute(o->cert), ec) ==
          std::filesystem::weakly_canonical(std::filesystem::absolute(o->key), ec)) {
        return Error(Code::kInvalidArgument, "--cert and --key name the same file (" + o->key +
                                                 "); the key and the certificate are kept apart");
      }
      for (const std::string& path : {o->cert, o->key}) {
        if (IsServeCredential(ctx.Home(), path)) {
          return Error(Code::kAlreadyExists,
                       path +
                           " is anchor serve's own TLS certificate or key; re-issue it with "
                           "`anchor ca server-cert` (add a host name with --san dns:NAME)");
        }
        if (FileExists(path)) {
          return Error(Code::kAlreadyExists,
                       path +
                           " already exists; refusing to replace it (choose another path, or "
                           "move it away first)");
        }
        ANCHOR_TRY(CheckWritable(path));
      }
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(type));
      ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, crypto::Csr::Create(key, o->cn, sans));
      ca::IssueRequest request{std::move(csr),
                               ca::OperatorRequest{profile, o->days, ca::NameRequest{o->cn, sans}}};
      ANCHOR_ASSIGN_OR_RETURN(ca::Issued issued, home->authority().Issue(request));
      for (const std::string& w : issued.warnings) {
        ctx.Warn(w);
      }
      // The certificate is recorded now; if a file cannot be written after all, say which
      // serial was issued, so it can be revoked (its key is lost with the file).
      const auto not_written = [&](const Error& e) {
        return Error(e.code(), "certificate " + issued.cert.SerialHex() +
                                   " is issued and recorded, but " + e.message() +
                                   "; revoke it with `anchor revoke " + issued.cert.SerialHex() +
                                   "` and issue again");
      };
      if (Status wrote = crypto::WritePrivateKeyFile(o->key, key, nullptr, /*exclusive=*/true);
          !wrote) {
        return not_written(wrote.error());
      }
      Status wrote = WriteFileAtomic(o->cert, issued.cert.ToPem() + home->intermediate().ToPem(),
                                     kPublicFileMode, /*exclusive=*/true);
      if (!wrote) {
        ::unlink(o->key.c_str());  // a key without its certificate is of no use; leave neither
        return not_written(wrote.error());
      }
      ctx.Say("issued " + std::string(ca::ProfileName(profile)) + " certificate " +
              issued.cert.Subject() + " serial " + issued.cert.SerialHex());
      ctx.Say("  certificate: " + o->cert + "\n  key:         " + o->key);
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
