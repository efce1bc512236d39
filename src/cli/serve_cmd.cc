// SPDX-License-Identifier: Apache-2.0
// File: serve_cmd.cc: `anchor serve`: the online CA over HTTPS (EST, OCSP, CRL).
#include <cstdio>

#include "cli/context.h"
#include "ocsp/responder.h"
#include "server/https_server.h"
#include "server/router.h"

namespace anchor::cli {

void RegisterServe(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string listen = "127.0.0.1:8443";
    std::string tls_min = "1.3";
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("serve", "serve EST enrollment, OCSP and the CRL over HTTPS");
  cmd->add_option("--listen", o->listen, "ADDRESS:PORT (default 127.0.0.1:8443; port 0: any)");
  cmd->add_option("--tls-min", o->tls_min, "1.3 (default) or 1.2")->check(CLI::IsMember({"1.2", "1.3"}));
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      const size_t colon = o->listen.rfind(':');
      if (colon == std::string::npos) {
        return Error(Code::kInvalidArgument, "--listen wants ADDRESS:PORT, e.g. 127.0.0.1:8443");
      }
      server::ServerOptions opts;
      opts.address = o->listen.substr(0, colon);
      if (opts.address.size() > 2 && opts.address.front() == '[') {
        opts.address = opts.address.substr(1, opts.address.size() - 2);
      }
      try {
        opts.port = static_cast<uint16_t>(std::stoul(o->listen.substr(colon + 1)));
      } catch (const std::exception&) {
        return Error(Code::kInvalidArgument, "--listen: '" + o->listen + "' has no valid port");
      }
      ANCHOR_ASSIGN_OR_RETURN(ca::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      opts.cert_chain_file = home->paths().server_crt;
      opts.key_file = home->paths().server_key;
      opts.client_ca_file = home->paths().root_crt;
      opts.allow_tls12 = o->tls_min == "1.2";
      const ocsp::Responder responder(home->intermediate(), home->authority().key(), home->store(),
                                      ctx.clock());
      server::Router router(home->authority(), responder, ctx.clock());
      ANCHOR_ASSIGN_OR_RETURN(auto https, server::HttpsServer::Create(opts, [&router](const http::Request& r) {
                                return router.Dispatch(r);
                              }));
      std::printf("anchor serve: listening on https://%s:%u (TLS >= %s)\n", opts.address.c_str(),
                  static_cast<unsigned>(https->port()), o->tls_min.c_str());
      std::fflush(stdout);
      https->Run();
      ctx.Say("anchor serve: stopped");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
