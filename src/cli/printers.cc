// SPDX-License-Identifier: Apache-2.0
// File: printers.cc: the fields people check, in short human form and in JSON.
#include "cli/printers.h"

#include <cstring>
#include <sstream>

#include "core/text.h"
#include "crypto/digest.h"

namespace anchor::cli {
namespace {

std::vector<std::string> NameStrings(const std::vector<crypto::GeneralName>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    out.push_back(n.ToString());
  }
  return out;
}

void Line(std::ostringstream& out, const char* label, const std::string& value) {
  if (!value.empty()) {
    out << "  " << label << std::string(15 - std::min<size_t>(15, std::strlen(label)), ' ') << value
        << "\n";
  }
}

std::string Lifetime(Clock::time_point from, Clock::time_point to, Clock::time_point now) {
  const auto days = [](auto d) {
    return std::chrono::duration_cast<std::chrono::hours>(d).count() / 24;
  };
  std::string out =
      Iso8601(from) + " .. " + Iso8601(to) + " (" + std::to_string(days(to - from)) + " days";
  if (now > to) {
    out += ", EXPIRED";
  } else if (now < from) {
    out += ", NOT YET VALID";
  } else {
    out += ", " + std::to_string(days(to - now)) + " left";
  }
  return out + ")";
}

std::string ConstraintText(const crypto::Certificate& cert) {
  const auto bc = cert.GetBasicConstraints();
  if (!bc) {
    return "(no basicConstraints)";
  }
  std::string out = bc->is_ca ? "CA" : "not a CA";
  if (bc->path_len) {
    out += ", pathlen " + std::to_string(*bc->path_len);
  }
  return out + (bc->critical ? " (critical)" : "");
}

std::vector<std::string> SubtreeStrings(const std::vector<crypto::NameSubtree>& subtrees) {
  std::vector<std::string> out;
  for (const auto& s : subtrees) {
    out.push_back(s.ToString());
  }
  return out;
}

std::string NameConstraintText(const crypto::Certificate& cert) {
  const auto nc = cert.GetNameConstraints();
  if (!nc) {
    return "";
  }
  std::string out;
  if (!nc->permitted.empty()) {
    out += "permitted " + Join(SubtreeStrings(nc->permitted), ", ");
  }
  if (!nc->excluded.empty()) {
    out += std::string(out.empty() ? "" : "; ") + "excluded " +
           Join(SubtreeStrings(nc->excluded), ", ");
  }
  return out + (nc->critical ? " (critical)" : "");
}

}  // namespace

std::string ColonHex(const std::string& hex) {
  std::vector<uint8_t> bytes;
  return HexDecode(hex, bytes) ? HexEncode(bytes, ':') : hex;
}

std::string FormatCertificate(const crypto::Certificate& cert, Clock::time_point now) {
  std::ostringstream out;
  Line(out, "Subject:", cert.Subject());
  Line(out, "Issuer:", cert.Issuer() + (cert.IsSelfIssued() ? "  (self-issued)" : ""));
  Line(out, "Serial:", ColonHex(cert.SerialHex()));
  Line(out, "Validity:", Lifetime(cert.NotBefore(), cert.NotAfter(), now));
  Line(out, "Key:", cert.GetPublicKey().Description());
  Line(out, "Signature:", cert.SignatureAlgorithm());
  Line(out, "Constraints:", ConstraintText(cert));
  Line(out, "Name constr.:", NameConstraintText(cert));
  const auto ku = cert.KeyUsageNames();
  Line(out, "Key usage:",
       ku.empty() ? "" : Join(ku, ", ") + (cert.KeyUsageCritical() ? " (critical)" : ""));
  Line(out, "Ext key usage:", Join(cert.ExtendedKeyUsageNames(), ", "));
  Line(out, "SANs:", Join(NameStrings(cert.SubjectAltNames()), ", "));
  Line(out, "SKID:", cert.SubjectKeyIdHex());
  Line(out, "AKID:", cert.AuthorityKeyIdHex());
  Line(out, "CRL:", Join(cert.CrlDistributionPoints(), ", "));
  Line(out, "OCSP:", Join(cert.OcspUrls(), ", "));
  Line(out, "CA issuers:", Join(cert.CaIssuerUrls(), ", "));
  Line(out, "SHA-256:", ColonHex(cert.Sha256Fingerprint()));
  return out.str();
}

nlohmann::json CertificateJson(const crypto::Certificate& cert) {
  nlohmann::json j;
  j["type"] = "certificate";
  j["subject"] = cert.Subject();
  j["issuer"] = cert.Issuer();
  j["common_name"] = cert.CommonName();
  j["serial"] = cert.SerialHex();
  j["not_before"] = Iso8601(cert.NotBefore());
  j["not_after"] = Iso8601(cert.NotAfter());
  j["key"] = cert.GetPublicKey().Description();
  j["signature_algorithm"] = cert.SignatureAlgorithm();
  const auto bc = cert.GetBasicConstraints();
  j["is_ca"] = bc && bc->is_ca;
  j["path_len"] = bc && bc->path_len ? nlohmann::json(*bc->path_len) : nlohmann::json();
  if (const auto nc = cert.GetNameConstraints()) {
    j["name_constraints"] = {{"permitted", SubtreeStrings(nc->permitted)},
                             {"excluded", SubtreeStrings(nc->excluded)},
                             {"critical", nc->critical}};
  }
  j["key_usage"] = cert.KeyUsageNames();
  j["ext_key_usage"] = cert.ExtendedKeyUsageNames();
  j["sans"] = NameStrings(cert.SubjectAltNames());
  j["subject_key_id"] = cert.SubjectKeyIdHex();
  j["authority_key_id"] = cert.AuthorityKeyIdHex();
  j["crl_distribution_points"] = cert.CrlDistributionPoints();
  j["ocsp"] = cert.OcspUrls();
  j["ca_issuers"] = cert.CaIssuerUrls();
  j["extensions"] = cert.ExtensionNames();
  j["sha256"] = cert.Sha256Fingerprint();
  return j;
}

std::string FormatCsr(const crypto::Csr& csr) {
  std::ostringstream out;
  const Status signature = csr.VerifySignature();
  const auto content = csr.ReadContent();
  Line(out, "Subject:", csr.Subject().empty() ? "(empty)" : csr.Subject());
  Line(out, "Key:", csr.GetPublicKey().Description());
  Line(out, "Signature:",
       signature ? "valid (proof of possession)" : "INVALID: " + signature.error().message());
  if (content) {
    Line(out, "SANs:", Join(NameStrings(content->sans), ", "));
  } else {
    Line(out, "Malformed:", content.error().message());
  }
  Line(out, "Extensions:", Join(csr.RequestedExtensions(), ", "));
  return out.str();
}

nlohmann::json CsrJson(const crypto::Csr& csr) {
  const Status signature = csr.VerifySignature();
  const auto content = csr.ReadContent();
  nlohmann::json j = {{"type", "csr"},
                      {"subject", csr.Subject()},
                      {"common_name", csr.CommonName()},
                      {"key", csr.GetPublicKey().Description()},
                      {"signature_valid", static_cast<bool>(signature)},
                      {"requested_extensions", csr.RequestedExtensions()}};
  if (!signature) {
    j["signature_error"] = signature.error().message();
  }
  if (content) {
    j["sans"] = NameStrings(content->sans);
    j["requests_ca"] = content->requests_ca;
  } else {
    j["malformed"] = content.error().message();
  }
  return j;
}

std::string FormatCrl(const crypto::Crl& crl) {
  std::ostringstream out;
  Line(out, "Issuer:", crl.Issuer());
  Line(out, "CRL number:", std::to_string(crl.Number()));
  Line(out, "This update:", Iso8601(crl.ThisUpdate()));
  Line(out, "Next update:", Iso8601(crl.NextUpdate()));
  Line(out, "Distribution:", Join(crl.IssuingDistributionPoints(), ", "));
  Line(out, "AKID:", crl.AuthorityKeyIdHex());
  const auto entries = crl.Entries();
  Line(out, "Revoked:", std::to_string(entries.size()));
  for (const auto& e : entries) {
    out << "    " << HexEncode(e.serial) << "  " << Iso8601(e.revoked_at) << "  "
        << crypto::ReasonName(e.reason) << "\n";
  }
  return out.str();
}

nlohmann::json CrlJson(const crypto::Crl& crl) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : crl.Entries()) {
    entries.push_back({{"serial", HexEncode(e.serial)},
                       {"revoked_at", Iso8601(e.revoked_at)},
                       {"reason", crypto::ReasonName(e.reason)}});
  }
  return {{"type", "crl"},
          {"issuer", crl.Issuer()},
          {"number", crl.Number()},
          {"this_update", Iso8601(crl.ThisUpdate())},
          {"next_update", Iso8601(crl.NextUpdate())},
          {"issuing_distribution_points", crl.IssuingDistributionPoints()},
          {"revoked", entries}};
}

std::string FormatPublicKey(const crypto::PublicKey& key) {
  std::ostringstream out;
  Line(out, "Key:", key.Description());
  const auto spki = key.SpkiDer();
  Line(out, "SPKI SHA-256:", HexEncode(crypto::Sha256(spki), ':'));
  return out.str();
}

nlohmann::json PublicKeyJson(const crypto::PublicKey& key) {
  const auto spki = key.SpkiDer();
  return {{"type", "public_key"},
          {"key", key.Description()},
          {"spki_sha256", HexEncode(crypto::Sha256(spki))}};
}

nlohmann::json BackupManifestJson(const store::BackupManifest& m) {
  return {{"format", m.format},
          {"created_at", Iso8601(FromUnixSeconds(m.created_at))},
          {"schema_version", m.schema_version},
          {"certificates", m.certificate_count},
          {"audit_entries", m.audit_entries},
          {"audit_head", m.audit_head},
          {"content_digest", m.content_digest},
          {"with_keys", m.with_keys},
          {"keys_left_out", m.keys_left_out}};
}

}  // namespace anchor::cli
