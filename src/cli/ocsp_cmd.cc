// SPDX-License-Identifier: Apache-2.0
// File: ocsp_cmd.cc: `anchor ocsp respond`: answer an OCSP request file offline (e.g. to
// pre-sign responses for OCSP stapling, or to check a relying party's request); `anchor ocsp
// signer`: a delegated OCSP responder certificate.
#include "cli/context.h"
#include "cli/serve_generations.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "crypto/pem.h"
#include "home/ca_home.h"
#include "home/own_certificates.h"
#include "ocsp/responder.h"

namespace anchor::cli {

void RegisterOcsp(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string request;
    std::string out;
    int days = 7;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* ocsp = app.add_subcommand("ocsp", "OCSP (RFC 6960)");
  ocsp->require_subcommand(1);
  CLI::App* respond = ocsp->add_subcommand("respond", "sign the answer to a DER OCSP request");
  respond->add_option("--request", o->request, "DER OCSP request (as `openssl ocsp -reqout`)")
      ->required();
  respond->add_option("--out,-o", o->out, "DER OCSP response file")
      ->required()
      ->check(command_line::NonEmptyPath());
  respond->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(std::string request, ReadInput(o->request));
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      ANCHOR_ASSIGN_OR_RETURN(std::optional<home::OcspSigner> delegated,
                              home::LoadOcspSigner(*home, ctx.clock().Now()));
      const ocsp::Responder responder(OcspIssuers(home->authority(), delegated), home->store(),
                                      ctx.clock());
      const std::vector<uint8_t> der = responder.Respond(crypto::AsBytes(request));
      ANCHOR_TRY(WriteOutput(o->out, std::string(der.begin(), der.end()), kPublicFileMode));
      ctx.Say("wrote OCSP response to " + o->out);
      return OkStatus();
    };
  });
  CLI::App* signer = ocsp->add_subcommand(
      "signer",
      "make a delegated OCSP signer (ocsp.crt, ocsp.key in the CA home): `anchor serve` "
      "and `anchor ocsp respond` then sign with it instead of the intermediate");
  signer->add_option("--days", o->days, "validity, 1 to 30 days (default 7); renew it before")
      ->check(CLI::Range(1, 30));
  signer->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      ANCHOR_ASSIGN_OR_RETURN(home::CaHome * home, ctx.OpenCa(/*need_key=*/true));
      // Serve's renewal writes the same pair: one writer at a time (home/own_certificates.h).
      ANCHOR_ASSIGN_OR_RETURN(FileLock held, home::LockOwnCertificates(home->paths()));
      ANCHOR_TRY(
          home::FinishInterruptedReplace(held, home->paths().ocsp_key, home->paths().ocsp_crt));
      ANCHOR_TRY(CheckWritable(home->paths().ocsp_key));
      ANCHOR_TRY(CheckWritable(home->paths().ocsp_crt));
      ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                              crypto::PrivateKey::Generate(home->config().key_type));
      ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                              home->authority().IssueOcspSigner(key.Public(), o->days));
      // Key first, then the certificate: a reader that finds ocsp.crt finds its key.
      ANCHOR_TRY(crypto::WritePrivateKeyFile(home->paths().ocsp_key, key, nullptr));
      ANCHOR_TRY(WriteFileAtomic(home->paths().ocsp_crt, cert.ToPem(), kPublicFileMode));
      ctx.Say("OCSP signer " + cert.Subject() + " serial " + cert.SerialHex() + ", valid until " +
              Iso8601(cert.NotAfter()) +
              "; a running anchor serve uses it after SIGHUP (and renews it by itself)");
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
