// SPDX-License-Identifier: Apache-2.0
// File: listener_certificate.cc: the broker's certificates checked as their peers check them.
#include "plugins/mosquitto/listener_certificate.h"

#include <algorithm>

#include "core/text.h"
#include "crypto/chain_verifier.h"

namespace anchor::mqtt {
namespace {

bool Has(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Error Unfit(std::string why) { return Error(Code::kFailedPrecondition, std::move(why)); }

// kEnrollAsPeer is the fix for a certificate of the wrong profile: anchor's peer profile carries
// serverAuth (the listener) and clientAuth (the feed), so one certificate does both jobs.
std::string EnrollAsPeer(const crypto::Certificate& leaf) {
  const std::string cn = leaf.CommonName().empty() ? "BROKER_HOST" : leaf.CommonName();
  return "enroll the broker with the peer profile (serverAuth for its listener, clientAuth for "
         "the revocation feed): anchor token create --cn " +
         cn + " --profile peer, then anchor-agent run --token-file ... --cert ... --key ...";
}

//= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.12
//# If the extension is present, then the certificate MUST only be used
//# for one of the purposes indicated.
Status CheckExtendedKeyUsage(const crypto::Certificate& leaf, CertificateRole role) {
  const std::vector<std::string> eku = leaf.ExtendedKeyUsageNames();
  const bool listener = role == CertificateRole::kListener;
  const std::string_view needed = listener ? "serverAuth" : "clientAuth";
  if (eku.empty() || Has(eku, needed) || Has(eku, "anyExtendedKeyUsage")) {
    return OkStatus();
  }
  const std::string has = Join(eku, "+");
  if (listener) {
    return Unfit("its extended key usage is " + has +
                 " without serverAuth (a client certificate, e.g. anchor's device or client "
                 "profile): every MQTT client refuses it with 'unsupported certificate'; " +
                 EnrollAsPeer(leaf));
  }
  return Unfit("its extended key usage is " + has +
               " without clientAuth: anchor serve refuses it as the client certificate of the "
               "revocation feed; " +
               EnrollAsPeer(leaf));
}

//= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.3
//# The digitalSignature bit is asserted when the subject public key is
//# used for verifying digital signatures, other than signatures on
//# certificates (bit 5) and CRLs (bit 6)
Status CheckKeyUsage(const crypto::Certificate& leaf) {
  const std::vector<std::string> ku = leaf.KeyUsageNames();
  if (ku.empty() || Has(ku, "digitalSignature")) {
    return OkStatus();
  }
  return Unfit("its key usage (" + Join(ku, ", ") +
               ") lacks digitalSignature, with which a TLS 1.3 peer signs its handshake; " +
               EnrollAsPeer(leaf));
}

Status CheckValidity(const crypto::Certificate& leaf, Clock::time_point now) {
  if (now < leaf.NotBefore()) {
    return Unfit("it is not valid before " + Iso8601(leaf.NotBefore()) +
                 " (is this machine's clock right?)");
  }
  if (now > leaf.NotAfter()) {
    return Unfit("it expired on " + Iso8601(leaf.NotAfter()) +
                 ": renew it (anchor-agent run renews it before it expires, and its --on-renew "
                 "can send the broker SIGHUP), or enroll the broker again with a new token");
  }
  return OkStatus();
}

Status CheckPath(const crypto::Certificate& leaf, const std::vector<crypto::Certificate>& rest,
                 const std::vector<crypto::Certificate>& roots, std::string_view roots_option,
                 CertificateRole role, Clock::time_point now) {
  crypto::VerifyOptions options;
  options.trusted = roots;
  options.untrusted = rest;
  options.purpose =
      role == CertificateRole::kListener ? crypto::Purpose::kServer : crypto::Purpose::kClient;
  options.at = now;
  ANCHOR_ASSIGN_OR_RETURN(const crypto::ChainVerdict verdict, crypto::ValidatePath(leaf, options));
  if (verdict.Ok()) {
    return OkStatus();
  }
  std::string why = "it does not verify under the root(s) of " + std::string(roots_option) + ": " +
                    verdict.failure->Message();
  if (verdict.failure->id == "unknown-issuer") {
    why +=
        "; the file must hold the intermediate after the certificate (anchor-agent and "
        "anchor enroll write the full chain to --cert), and the certificate must come from "
        "this anchor CA (for a listener certificate of another CA, name that CA's roots in "
        "plugin_opt_listener_ca_file)";
  }
  return Unfit(std::move(why));
}

}  // namespace

Status CheckBrokerCertificate(std::string_view pem, const std::vector<crypto::Certificate>& roots,
                              CertificateRole role, Clock::time_point now,
                              std::string_view roots_option) {
  auto chain = crypto::Certificate::ParseAll(pem);
  if (!chain || chain->empty()) {
    return Unfit("it holds no PEM certificate" +
                 (chain ? std::string() : " (" + chain.error().message() + ")"));
  }
  const crypto::Certificate& leaf = chain->front();
  if (leaf.IsCa()) {
    return Unfit("its first certificate is a CA (" + leaf.Subject() +
                 "), not the broker's own; put the broker's certificate first");
  }
  ANCHOR_TRY(CheckExtendedKeyUsage(leaf, role));
  ANCHOR_TRY(CheckKeyUsage(leaf));
  ANCHOR_TRY(CheckValidity(leaf, now));
  const std::vector<crypto::Certificate> rest(chain->begin() + 1, chain->end());
  return CheckPath(leaf, rest, roots, roots_option, role, now);
}

std::string DescribeLeaf(std::string_view pem) {
  auto chain = crypto::Certificate::ParseAll(pem);
  if (!chain || chain->empty()) {
    return "no certificate";
  }
  const crypto::Certificate& leaf = chain->front();
  const std::vector<std::string> eku = leaf.ExtendedKeyUsageNames();
  return "CN=" + leaf.CommonName() + ", " + (eku.empty() ? "any usage" : Join(eku, "+")) +
         ", valid until " + Iso8601(leaf.NotAfter());
}

}  // namespace anchor::mqtt
