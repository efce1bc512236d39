// SPDX-License-Identifier: Apache-2.0
// File: sign_cmd.cc: `anchor sign`: one CSR, or a factory batch of thousands in one process.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "cli/context.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "home/ca_home.h"

namespace anchor::cli {
namespace {

// kGroupSize is how many certificates share one transaction in a batch: large enough that the
// fsync of the commit is amortised, small enough that a crash loses little work.
constexpr size_t kGroupSize = 256;

std::string OutputPathFor(const std::string& csr_path, const std::string& out_dir) {
  std::filesystem::path name = std::filesystem::path(csr_path).filename();
  if (name.extension() == ".csr" || name.extension() == ".req" || name.extension() == ".pem") {
    name.replace_extension(".crt");
  } else {
    name += ".crt";
  }
  return (std::filesystem::path(out_dir) / name).string();
}

// OutputPaths plans where each certificate goes, before anything is signed: one file per CSR
// (or stdout for one CSR without --out), never two CSRs to the same file, and every file in a
// directory this process can write.
Result<std::vector<std::string>> OutputPaths(const std::vector<std::string>& csrs,
                                             const std::string& out, const std::string& out_dir) {
  std::vector<std::string> paths;
  std::map<std::string, std::string> taken;  // normalised path -> the CSR that writes it
  // A directory that does not exist yet is made only once something is signed; until then its
  // nearest existing ancestor must take it.
  if (!out_dir.empty() && FileExists(out_dir) && !std::filesystem::is_directory(out_dir)) {
    return Error(Code::kInvalidArgument, "--out-dir " + out_dir + " is a file, not a directory");
  }
  const bool dir_exists = out_dir.empty() || FileExists(out_dir);
  if (!dir_exists) {
    std::filesystem::path ancestor = std::filesystem::absolute(out_dir).parent_path();
    while (!FileExists(ancestor.string())) {
      ancestor = ancestor.parent_path();
    }
    ANCHOR_TRY(CheckWritable((ancestor / "x").string()));
  }
  for (const std::string& csr : csrs) {
    std::string path = out_dir.empty() ? out : OutputPathFor(csr, out_dir);
    if (dir_exists) {
      ANCHOR_TRY(CheckWritable(path));
    }
    if (!path.empty() && path != "-") {
      const std::string key = std::filesystem::absolute(path).lexically_normal().string();
      if (auto [it, fresh] = taken.emplace(key, csr); !fresh) {
        return Error(Code::kInvalidArgument, it->second + " and " + csr +
                                                 " would both be written to " + path +
                                                 "; rename one of them");
      }
    }
    paths.push_back(std::move(path));
  }
  return paths;
}

// NotWritten is the error for a certificate that is issued and recorded but could not be
// written: it names the serial, so nothing is lost.
Error NotWritten(const crypto::Certificate& cert, const Error& why) {
  return Error(why.code(), "certificate " + cert.SerialHex() + " (" + cert.Subject() +
                               ") is issued and recorded, but " + why.message() +
                               "; get it with `anchor list --serial " + cert.SerialHex() +
                               " --pem`");
}

void ShowProgress(size_t done, size_t total) {
  constexpr int kWidth = 40;
  const int filled = static_cast<int>(kWidth * done / std::max<size_t>(total, 1));
  std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled,
               "========================================", kWidth - filled, "", done, total);
  if (done == total) {
    std::fputc('\n', stderr);
  }
}

}  // namespace

void RegisterSign(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::vector<std::string> csrs;
    std::string profile = "peer";
    std::optional<int> days;
    std::string out;
    std::string out_dir;
    bool leaf_only = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "sign", "sign CSRs with the intermediate CA; writes leaf + intermediate (full chain)");
  cmd->add_option("csr", o->csrs, "request files (PEM or DER)")->required();
  cmd->add_option(
      "--profile,-p", o->profile,
      "server, client, device, service or peer (default: peer = serverAuth + clientAuth)");
  cmd->add_option("--days", o->days, "validity in days (default: the profile's default_days)");
  auto* out = cmd->add_option("--out,-o", o->out, "certificate file (one CSR; default stdout)")
                  ->check(command_line::NonEmptyPath());
  cmd->add_option("--out-dir", o->out_dir, "directory for many CSRs: NAME.csr -> NAME.crt")
      ->check(command_line::NonEmptyPath())
      ->excludes(out);
  cmd->add_flag("--leaf-only", o->leaf_only, "write only the leaf, without the intermediate");
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      if (o->csrs.size() > 1 && o->out_dir.empty()) {
        return Error(Code::kInvalidArgument, "several CSRs need --out-dir DIR");
      }
      ANCHOR_ASSIGN_OR_RETURN(ca::Profile profile, ca::ParseProfile(o->profile));
      std::vector<ca::IssueRequest> requests;
      requests.reserve(o->csrs.size());
      for (const std::string& path : o->csrs) {
        ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
        auto csr = crypto::Csr::Parse(text);
        if (!csr) {
          return csr.error().Prefixed(path);
        }
        requests.push_back(
            ca::IssueRequest{std::move(csr).value(), ca::OperatorRequest{profile, o->days}, path});
      }
      ANCHOR_ASSIGN_OR_RETURN(std::vector<std::string> outputs,
                              OutputPaths(o->csrs, o->out, o->out_dir));
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      const std::string chain = o->leaf_only ? "" : home->intermediate().ToPem();
      const bool progress = o->csrs.size() > 1 && ::isatty(STDERR_FILENO) && !ctx.quiet;
      size_t done = 0;
      auto write_group = [&](std::span<const ca::Issued> issued, size_t first) -> Status {
        if (first == 0 && !o->out_dir.empty()) {
          // Made now that the first group is recorded: a refused batch leaves no directory.
          if (Status made = MakeDirectories(o->out_dir, 0755); !made) {
            const Error e = NotWritten(issued.front().cert, made.error());
            return issued.size() == 1
                       ? e
                       : Error(e.code(), e.message() + " (and " +
                                             std::to_string(issued.size() - 1) +
                                             " more certificates of its group: anchor list)");
          }
        }
        // Rows are committed when this runs: files are written only for recorded certificates.
        // A file that cannot be written does not stop the others of the group, which are
        // recorded too; the error names the first certificate left unwritten.
        std::optional<Error> unwritten;
        for (size_t i = 0; i < issued.size(); ++i) {
          for (const std::string& w : issued[i].warnings) {
            ctx.Warn(o->csrs[first + i] + ": " + w);
          }
          const std::string& path = outputs[first + i];
          if (Status wrote = WriteOutput(path, issued[i].cert.ToPem() + chain, kPublicFileMode);
              !wrote) {
            Error error = NotWritten(issued[i].cert, wrote.error());
            if (unwritten) {
              ctx.Warn(error.message());  // the first one is the error; the others are said here
            } else {
              unwritten = std::move(error);
            }
            continue;
          }
          if (o->csrs.size() == 1 && !o->out.empty()) {
            ctx.Say("signed " + issued[i].cert.Subject() + " serial " + issued[i].cert.SerialHex() +
                    " -> " + path);
          }
        }
        done += issued.size();
        if (progress) {
          ShowProgress(done, o->csrs.size());
        }
        return unwritten ? Status(*unwritten) : OkStatus();
      };
      const auto say_refused = [](const Error& e) {
        std::fprintf(stderr, "anchor: refused: %s\n", e.message().c_str());
      };
      ANCHOR_TRY(home->authority().IssueBatch(requests, kGroupSize, write_group, say_refused));
      if (o->csrs.size() > 1) {
        ctx.Say("signed " + std::to_string(done) + " certificates into " + o->out_dir);
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
