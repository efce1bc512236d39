// SPDX-License-Identifier: Apache-2.0
// File: inspect_cmd.cc: `anchor inspect`: certificates, chains, CSRs, CRLs and keys, short.
#include <iostream>

#include "cli/context.h"
#include "cli/printers.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/pem.h"
#include "crypto/pkcs11_key.h"
#include "crypto/tpm2_key.h"

namespace anchor::cli {
namespace {

// Item is one decoded object of the file.
struct Item {
  std::string title;
  std::string human;
  nlohmann::json json;
};

Result<Item> DecodeBlock(const std::string& label, std::span<const uint8_t> der,
                         const SecretBytes* pass, Clock::time_point now) {
  if (label == "CERTIFICATE" || label == "TRUSTED CERTIFICATE") {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate c, crypto::Certificate::FromDer(der));
    return Item{c.IsCa() ? "CA certificate" : "Certificate", FormatCertificate(c, now),
                CertificateJson(c)};
  }
  if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Csr csr, crypto::Csr::FromDer(der));
    return Item{"Certificate request", FormatCsr(csr), CsrJson(csr)};
  }
  if (label == "X509 CRL") {
    ANCHOR_ASSIGN_OR_RETURN(crypto::Crl crl, crypto::Crl::FromDer(der));
    return Item{"CRL", FormatCrl(crl), CrlJson(crl)};
  }
  if (label == "PUBLIC KEY") {
    ANCHOR_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromDer(der));
    return Item{"Public key", FormatPublicKey(key), PublicKeyJson(key)};
  }
  if (label.find("PRIVATE KEY") != std::string::npos) {
    const std::string pem = crypto::ToPem(label, der);
    ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(pem, pass));
    nlohmann::json j = PublicKeyJson(key.Public());
    j["type"] = "private_key";
    return Item{"Private key (public part shown)", FormatPublicKey(key.Public()), j};
  }
  return Error(Code::kInvalidArgument, "unsupported PEM block '" + label + "'");
}

// DeviceKeyItem shows a key a device holds (a token, a TPM): where it is (`json`, `human`), and
// its public part when `key` could be opened, else why not.
Item DeviceKeyItem(std::string title, nlohmann::json json, std::string human,
                   const Result<crypto::PrivateKey>& key) {
  if (key) {
    const std::string type = json["type"];
    json.update(PublicKeyJson(key->Public()));
    json["type"] = type;
    human += FormatPublicKey(key->Public());
  } else {
    human += "  (not opened: " + key.error().message() + ")\n";
  }
  return Item{std::move(title), std::move(human), std::move(json)};
}

// DescribeTokenKey shows a key file that names a key in a PKCS#11 token (anchor init --key-uri),
// with the key's public part when the token can be reached with the PIN given.
Result<Item> DescribeTokenKey(const std::string& text) {
  ANCHOR_ASSIGN_OR_RETURN(crypto::Pkcs11KeyUri uri, crypto::ParsePkcs11KeyUri(text));
  return DeviceKeyItem("Private key in a PKCS#11 token (it never leaves it)",
                       {{"type", "pkcs11_key"},
                        {"uri", uri.ToString()},
                        {"token", uri.token},
                        {"object", uri.object},
                        {"id", HexEncode(uri.id)},
                        {"module", uri.module_path}},
                       "  where:  " + uri.Describe() + "\n  module: " +
                           (uri.module_path.empty() ? "p11-kit's proxy" : uri.module_path) + "\n",
                       crypto::OpenPkcs11Key(uri));
}

// DescribeTpmKey shows a TSS2 PRIVATE KEY file (anchor-agent --tpm), with the key's public part
// when the TPM that sealed it can be reached ($TPM2OPENSSL_TCTI, or tpm2-tss's default).
Item DescribeTpmKey(const std::string& pem) {
  return DeviceKeyItem("Private key in a TPM (it never leaves it)", {{"type", "tpm2_key"}},
                       "  a TSS2 PRIVATE KEY: sealed by a TPM 2.0, usable only in that TPM\n",
                       crypto::LoadTpm2Key(pem));
}

Result<Item> DecodeDer(std::span<const uint8_t> der, Clock::time_point now) {
  for (const char* label : {"CERTIFICATE", "CERTIFICATE REQUEST", "X509 CRL", "PUBLIC KEY"}) {
    auto item = DecodeBlock(label, der, nullptr, now);
    if (item) {
      return item;
    }
  }
  return Error(Code::kInvalidArgument,
               "not a certificate, CSR, CRL or key in PEM or DER (is the file truncated?)");
}

}  // namespace

void RegisterInspect(CLI::App& app, Context& ctx, Action& action) {
  struct Opts {
    std::string file;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("inspect", "show certificates, chains, CSRs, CRLs and keys");
  cmd->add_option("file", o->file, "file to inspect (PEM or DER; - for stdin)")->required();
  AddJsonFlag(cmd, ctx);
  cmd->callback([&ctx, &action, o] {
    action = [&ctx, o]() -> Status {
      // A CRL of a large fleet is megabytes; the bound is the general one, not a request's.
      ANCHOR_ASSIGN_OR_RETURN(std::string data, ReadInput(o->file, kMaxFileBytes));
      const Clock::time_point now = ctx.clock().Now();
      std::vector<Item> items;
      if (crypto::IsPkcs11Uri(data)) {
        ANCHOR_ASSIGN_OR_RETURN(Item item, DescribeTokenKey(data));
        items.push_back(std::move(item));
      } else if (crypto::IsTpm2KeyPem(data)) {
        items.push_back(DescribeTpmKey(data));
      } else if (crypto::LooksLikePem(data)) {
        auto blocks = crypto::ParsePemBlocks(data);
        if (!blocks) {
          return blocks.error().Prefixed(o->file);
        }
        ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* pass, ctx.Passphrase());
        for (const crypto::PemBlock& b : *blocks) {
          auto item = DecodeBlock(b.label, b.der, pass, now);
          if (!item) {
            return item.error().Prefixed(o->file + ": block " + std::to_string(items.size() + 1));
          }
          items.push_back(std::move(item).value());
        }
      } else {
        auto item = DecodeDer(crypto::AsBytes(data), now);
        if (!item) {
          return item.error().Prefixed(o->file);
        }
        items.push_back(std::move(item).value());
      }
      if (ctx.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const Item& i : items) {
          out.push_back(i.json);
        }
        std::cout << (out.size() == 1 ? out[0] : out).dump(2) << "\n";
        return OkStatus();
      }
      for (size_t i = 0; i < items.size(); ++i) {
        std::cout << items[i].title;
        if (items.size() > 1) {
          std::cout << " (" << i + 1 << " of " << items.size() << ")";
        }
        std::cout << "\n" << items[i].human << (i + 1 < items.size() ? "\n" : "");
      }
      return OkStatus();
    };
  });
}

}  // namespace anchor::cli
