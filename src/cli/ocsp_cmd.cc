// SPDX-License-Identifier: Apache-2.0
// File: ocsp_cmd.cc: `anchor ocsp respond`: answer an OCSP request file offline (e.g. to
// pre-sign responses for OCSP stapling, or to check a relying party's request).
#include "cli/context.h"
#include "core/file_io.h"
#include "crypto/pem.h"
#include "ocsp/responder.h"

namespace anchor::cli {

void RegisterOcsp(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string request;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* ocsp = app.add_subcommand("ocsp", "OCSP (RFC 6960)");
  ocsp->require_subcommand(1);
  CLI::App* respond = ocsp->add_subcommand("respond", "sign the answer to a DER OCSP request");
  respond->add_option("--request", o->request, "DER OCSP request (as `openssl ocsp -reqout`)")
      ->required();
  respond->add_option("--out,-o", o->out, "DER OCSP response file")->required();
  respond->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::string request, ReadInput(o->request));
      ANCHOR_ASSIGN_OR_RETURN(ca::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      const ocsp::Responder responder(home->intermediate(), {home->intermediate(), home->authority().key()}, home->store(),
                                      ctx.clock());
      const std::vector<uint8_t> der = responder.Respond(crypto::AsBytes(request));
      ANCHOR_TRY(WriteOutput(o->out, std::string(der.begin(), der.end()), kPublicFileMode));
      ctx.Say("wrote OCSP response to " + o->out);
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
