// SPDX-License-Identifier: Apache-2.0
// File: csr.cc: PKCS#10 parsing, proof-of-possession check and creation.
#include "crypto/csr.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/certificate.h"
#include "crypto/internal/der.h"
#include "crypto/ossl_error.h"
#include "crypto/pem.h"

namespace anchor::crypto {
namespace {

ossl::Ptr<STACK_OF(X509_EXTENSION)> Extensions(X509_REQ* req) {
  ossl::Ptr<STACK_OF(X509_EXTENSION)> exts(::X509_REQ_get_extensions(req));
  ossl::ClearErrors();  // a request without extensions leaves an error on the queue
  return exts;
}

}  // namespace

Result<Csr> Csr::FromDer(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<X509_REQ> req,
                          internal::D2iExact(::d2i_X509_REQ, der, "PKCS#10 certificate request"));
  return Csr(std::move(req));
}

Result<Csr> Csr::Parse(std::string_view data) {
  if (!LooksLikePem(data)) {
    return FromDer(AsBytes(data));
  }
  ANCHOR_ASSIGN_OR_RETURN(std::vector<PemBlock> blocks, ParsePemBlocks(data));
  for (const PemBlock& block : blocks) {
    if (block.label == "CERTIFICATE REQUEST" || block.label == "NEW CERTIFICATE REQUEST") {
      return FromDer(block.der);
    }
  }
  return Error(Code::kInvalidArgument,
               "no certificate request found (expected -----BEGIN CERTIFICATE REQUEST-----)");
}

Result<Csr> Csr::Create(const PrivateKey& key, std::string_view common_name,
                        const std::vector<GeneralName>& sans) {
  ossl::Ptr<X509_REQ> req(::X509_REQ_new());
  if (!req || ::X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) {
    return ossl::OsslError("X509_REQ_new");
  }
  X509_NAME* subject = ::X509_REQ_get_subject_name(req.get());
  if (!common_name.empty() &&
      ::X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.data()),
                                   static_cast<int>(common_name.size()), -1, 0) != 1) {
    return ossl::OsslError("the common name is not valid (at most 64 characters)",
                           Code::kInvalidArgument);
  }
  if (::X509_REQ_set_pubkey(req.get(), key.Native()) != 1) {
    return ossl::OsslError("X509_REQ_set_pubkey");
  }
  if (!sans.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> names, ToOpenssl(sans));
    ossl::Ptr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
    ossl::Ptr<X509_EXTENSION> ext(::X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    if (!exts || !ext || sk_X509_EXTENSION_push(exts.get(), ext.get()) == 0) {
      return ossl::OsslError("building the SAN extension request");
    }
    ext.release();  // the stack owns it now
    if (::X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return ossl::OsslError("X509_REQ_add_extensions");
    }
  }
  if (::X509_REQ_sign(req.get(), key.Native(), key.SigningDigest()) <= 0) {
    return ossl::OsslError("X509_REQ_sign");
  }
  return Csr(std::move(req));
}

Status Csr::VerifySignature() const {
  EVP_PKEY* key = ::X509_REQ_get0_pubkey(req_.get());
  if (key == nullptr) {
    return ossl::OsslError("the request carries no usable public key", Code::kInvalidArgument);
  }
  if (::X509_REQ_verify(req_.get(), key) != 1) {
    return ossl::OsslError(
        "the request's signature does not verify (no proof of possession of its key)",
        Code::kInvalidArgument);
  }
  return OkStatus();
}

std::string Csr::Subject() const { return NameToString(::X509_REQ_get_subject_name(req_.get())); }

std::string Csr::CommonName() const {
  return NameCommonName(::X509_REQ_get_subject_name(req_.get()));
}

std::vector<GeneralName> Csr::SubjectAltNames(std::vector<std::string>* unknown) const {
  auto exts = Extensions(req_.get());
  if (!exts) {
    return {};
  }
  ossl::Ptr<GENERAL_NAMES> sans(static_cast<GENERAL_NAMES*>(
      ::X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
  return FromOpenssl(sans.get(), unknown);
}

std::vector<std::string> Csr::RequestedExtensions() const {
  std::vector<std::string> out;
  auto exts = Extensions(req_.get());
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    char buf[128];
    ::OBJ_obj2txt(buf, sizeof buf,
                  ::X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts.get(), i)), 0);
    out.emplace_back(buf);
  }
  return out;
}

bool Csr::RequestsCa() const {
  auto exts = Extensions(req_.get());
  if (!exts) {
    return false;
  }
  ossl::Ptr<BASIC_CONSTRAINTS> bc(static_cast<BASIC_CONSTRAINTS*>(
      ::X509V3_get_d2i(exts.get(), NID_basic_constraints, nullptr, nullptr)));
  return bc && bc->ca != 0;
}

PublicKey Csr::GetPublicKey() const {
  return PublicKey::Borrow(::X509_REQ_get0_pubkey(req_.get()),
                           ::X509_REQ_get_X509_PUBKEY(req_.get()));
}

std::vector<uint8_t> Csr::ToDer() const { return internal::I2d(::i2d_X509_REQ, req_.get()); }

std::string Csr::ToPem() const { return crypto::ToPem("CERTIFICATE REQUEST", ToDer()); }

}  // namespace anchor::crypto
