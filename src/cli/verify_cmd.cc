// SPDX-License-Identifier: Apache-2.0
// File: verify_cmd.cc: `anchor verify`: exit 0 only for a valid chain, else a one-line reason.
#include <iostream>

#include "cli/context.h"
#include "core/file_io.h"
#include "crypto/chain_verifier.h"
#include "home/ca_home.h"
#include "home/intermediates.h"

namespace anchor::cli {
namespace {

Result<std::vector<crypto::Certificate>> LoadCerts(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadInput(path));
  auto certs = crypto::Certificate::ParseAll(data);
  if (!certs) {
    return certs.error().Prefixed(path);
  }
  return certs;
}

// HomeIntermediateFiles are the certificate files of the home's intermediates: the issuing one
// and every retired generation.
Result<std::vector<std::string>> HomeIntermediateFiles(const std::string& home) {
  std::vector<std::string> out;
  const std::string issuing = home::CaPaths::In(home).intermediate_crt;
  if (FileExists(issuing)) {
    out.push_back(issuing);
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<home::GenerationFiles> retired,
                          home::RetiredGenerations(home));
  for (const home::GenerationFiles& g : retired) {
    out.push_back(g.cert);
  }
  return out;
}

}  // namespace

void RegisterVerify(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string cert;
    std::vector<std::string> ca;
    std::vector<std::string> untrusted;
    std::string host;
    std::string purpose = "any";
    std::vector<std::string> crls;
    std::string key;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("verify", "verify a certificate chain (exit 0 only if valid)");
  cmd->add_option("cert", o->cert, "certificate file; further certificates in it are intermediates")
      ->required();
  cmd->add_option("--ca", o->ca, "trusted CA file(s) (default: the home's root.crt)");
  cmd->add_option("--untrusted", o->untrusted, "intermediate certificates file(s)");
  cmd->add_option("--host", o->host, "DNS name or IP the certificate must be valid for");
  cmd->add_option("--purpose", o->purpose, "server, client or any (default any)")
      ->check(CLI::IsMember({"server", "client", "any"}));
  cmd->add_option("--crl", o->crls, "CRL file(s) to check the leaf against");
  cmd->add_option("--key", o->key, "also check that this private key belongs to the certificate");
  AddJsonFlag(cmd, ctx);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> given, LoadCerts(o->cert));
      crypto::VerifyOptions opts;
      opts.untrusted.assign(given.begin() + 1, given.end());
      std::vector<std::string> ca_files = o->ca;
      if (ca_files.empty()) {
        const std::string root = home::CaPaths::In(ctx.Home()).root_crt;
        if (!FileExists(root)) {
          return Error(Code::kInvalidArgument,
                       "give the trusted CA with --ca FILE (no CA in " + ctx.Home() + ")");
        }
        ca_files.push_back(root);
        // The home's intermediates, of every generation, may complete a chain the file lacks:
        // after a rotation a certificate of either generation verifies.
        ANCHOR_ASSIGN_OR_RETURN(std::vector<std::string> intermediates,
                                HomeIntermediateFiles(ctx.Home()));
        o->untrusted.insert(o->untrusted.end(), intermediates.begin(), intermediates.end());
      }
      for (const std::string& f : ca_files) {
        ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> certs, LoadCerts(f));
        opts.trusted.insert(opts.trusted.end(), certs.begin(), certs.end());
      }
      for (const std::string& f : o->untrusted) {
        ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> certs, LoadCerts(f));
        opts.untrusted.insert(opts.untrusted.end(), certs.begin(), certs.end());
      }
      for (const std::string& f : o->crls) {
        ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadInput(f, kMaxFileBytes));  // CRLs grow
        auto crl = crypto::Crl::Parse(data);
        if (!crl) {
          return crl.error().Prefixed(f);
        }
        opts.crls.push_back(std::move(crl).value());
      }
      opts.host = o->host;
      opts.purpose = o->purpose == "server"   ? crypto::Purpose::kServer
                     : o->purpose == "client" ? crypto::Purpose::kClient
                                              : crypto::Purpose::kAny;
      opts.at = ctx.clock().Now();
      if (!o->key.empty()) {
        ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* pass, ctx.Passphrase());
        ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::LoadPrivateKeyFile(o->key, pass));
        if (!key.Public().Equals(given.front().GetPublicKey())) {
          return Error(Code::kInvalidArgument,
                       o->key + " does not belong to " + o->cert +
                           " (a TLS server would fail to start with this pair)");
        }
      }
      auto chain = crypto::VerifyChain(given.front(), opts);
      if (!chain) {
        return chain.error().Prefixed(o->cert);
      }
      std::string path;
      for (const auto& c : *chain) {
        path +=
            (path.empty() ? "" : " -> ") + (c.CommonName().empty() ? c.Subject() : c.CommonName());
      }
      if (ctx.json) {
        nlohmann::json names = nlohmann::json::array();
        for (const auto& c : *chain) {
          names.push_back(c.Subject());
        }
        PrintJson({{"file", o->cert}, {"valid", true}, {"chain", names}});
        return OkStatus();
      }
      std::cout << o->cert << ": OK (" << path << ")\n";
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
