// SPDX-License-Identifier: Apache-2.0
// File: csr.cc: PKCS#10 parsing, proof-of-possession check and creation.
#include "crypto/csr.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <set>

#include "core/text.h"
#include "crypto/certificate.h"
#include "crypto/internal/asn1_values.h"
#include "crypto/internal/der.h"
#include "crypto/internal/general_names.h"
#include "crypto/internal/handles.h"
#include "crypto/key_parameters.h"
#include "crypto/ossl_error.h"
#include "crypto/pem.h"
#include "names/common_name.h"

namespace anchor::crypto {
namespace {

Error Malformed(const std::string& what) {
  return Error(Code::kInvalidArgument,
               "the request is malformed: " + what + "; make it again (openssl req, anchor csr)");
}

std::string ExtensionName(const X509_EXTENSION* ext) {
  char buf[128];
  ::OBJ_obj2txt(buf, sizeof buf, ::X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext)), 0);
  return buf;
}

// ExtensionRequest returns the requested extensions, or an error when the request carries an
// extension request that does not decode or more than one (PKCS#9 extensionRequest, or the
// older Microsoft attribute, which OpenSSL also reads).
Result<ossl::Ptr<STACK_OF(X509_EXTENSION)>> ExtensionRequest(X509_REQ* req) {
  int attributes = 0;
  for (const int nid : {NID_ext_req, NID_ms_ext_req}) {
    for (int i = ::X509_REQ_get_attr_by_NID(req, nid, -1); i >= 0;
         i = ::X509_REQ_get_attr_by_NID(req, nid, i)) {
      ++attributes;
      //= https://www.rfc-editor.org/rfc/rfc2985#section-5.4.2
      //# extensionRequest ATTRIBUTE ::= { WITH SYNTAX ExtensionRequest SINGLE VALUE TRUE ...
      if (::X509_ATTRIBUTE_count(::X509_REQ_get_attr(req, i)) != 1) {
        return Malformed("its extensionRequest attribute must hold exactly one value");
      }
    }
  }
  if (attributes > 1) {
    return Malformed("it carries " + std::to_string(attributes) + " extension requests");
  }
  ossl::Ptr<STACK_OF(X509_EXTENSION)> exts(::X509_REQ_get_extensions(req));
  if (!exts) {
    ossl::ClearErrors();
    if (attributes == 0) {
      return ossl::Ptr<STACK_OF(X509_EXTENSION)>(sk_X509_EXTENSION_new_null());
    }
    return Malformed("its extensionRequest attribute does not decode as Extensions");
  }
  return exts;
}

//= https://www.rfc-editor.org/rfc/rfc5280#section-4.2
//# A certificate MUST NOT include more than one instance of a particular extension.
// The same holds for a request: two SANs would make anchor choose one of them for the author.
Status CheckNoDuplicates(const STACK_OF(X509_EXTENSION) * exts) {
  std::set<std::string> seen;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    const std::string name = ExtensionName(sk_X509_EXTENSION_value(exts, i));
    if (!seen.insert(name).second) {
      return Malformed("it asks for the extension " + name + " twice");
    }
  }
  return OkStatus();
}

Result<std::vector<GeneralName>> DecodeSans(const X509_EXTENSION* ext,
                                            std::vector<std::string>& unknown) {
  ossl::Ptr<GENERAL_NAMES> sans(
      static_cast<GENERAL_NAMES*>(::X509V3_EXT_d2i(const_cast<X509_EXTENSION*>(ext))));
  if (!sans) {
    ossl::ClearErrors();
    return Malformed("its subjectAltName extension does not decode as GeneralNames");
  }
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.6
  //# GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
  if (sk_GENERAL_NAME_num(sans.get()) == 0) {
    return Malformed("its subjectAltName extension holds no name");
  }
  return internal::FromOpenssl(sans.get(), &unknown);
}

Status ReadSubject(const X509_NAME* subject, RequestedContent& out) {
  int common_names = 0;
  for (int i = 0; i < ::X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* entry = ::X509_NAME_get_entry(subject, i);
    const ASN1_OBJECT* type = ::X509_NAME_ENTRY_get_object(entry);
    if (::OBJ_obj2nid(type) == NID_commonName) {
      ++common_names;
      continue;
    }
    char name[80];
    ::OBJ_obj2txt(name, sizeof name, type, 0);
    unsigned char* utf8 = nullptr;
    const int len = ::ASN1_STRING_to_UTF8(&utf8, ::X509_NAME_ENTRY_get_data(entry));
    const std::string value = len >= 0 ? std::string(reinterpret_cast<char*>(utf8), len) : "?";
    ::OPENSSL_free(utf8);
    ossl::ClearErrors();
    out.other_subject_fields.push_back(std::string(name) + "=" + Printable(value));
  }
  if (common_names > 1) {
    return Malformed("its subject holds " + std::to_string(common_names) + " common names");
  }
  out.common_name = internal::NameCommonName(subject);
  return OkStatus();
}

// UnreadableKey says why OpenSSL could not decode a request's public key, by its algorithm.
Error UnreadableKey(X509_PUBKEY* spki) {
  ASN1_OBJECT* algorithm = nullptr;
  if (spki != nullptr) {
    ::X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr, spki);
  }
  const int nid = algorithm != nullptr ? ::OBJ_obj2nid(algorithm) : NID_undef;
  std::string why;
  switch (nid) {
    case NID_X9_62_id_ecPublicKey:
      why = "the EC public key is not a point on its curve, or its curve does not decode";
      break;
    case NID_rsaEncryption:
      why = "the RSA public key does not decode";
      break;
    default: {
      char name[80] = "unknown";
      if (algorithm != nullptr) {
        ::OBJ_obj2txt(name, sizeof name, algorithm, 0);
      }
      why = std::string("its public key algorithm (") + name + ") is not one anchor accepts";
    }
  }
  return ossl::OsslError("the request cannot be used: " + why, Code::kInvalidArgument);
}

bool IsCaRequest(const X509_EXTENSION* ext) {
  ossl::Ptr<BASIC_CONSTRAINTS> bc(
      static_cast<BASIC_CONSTRAINTS*>(::X509V3_EXT_d2i(const_cast<X509_EXTENSION*>(ext))));
  ossl::ClearErrors();
  return bc && bc->ca != 0;
}

}  // namespace

Result<Csr> Csr::FromDer(std::span<const uint8_t> der) {
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<X509_REQ> req,
                          internal::D2iExact(::d2i_X509_REQ, der, "PKCS#10 certificate request"));
  return Csr(std::move(req));
}

Result<Csr> Csr::Parse(std::string_view data) {
  if (!LooksLikePem(data)) {
    auto der = FromDer(AsBytes(data));
    if (!der) {
      return Error(Code::kInvalidArgument,
                   "not a certificate request: neither PEM (-----BEGIN CERTIFICATE REQUEST-----) "
                   "nor DER",
                   der.error().detail());
    }
    return der;
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

namespace {

// ObjectOf is the ASN.1 object of a dotted OID; kInvalidArgument when it is not one.
Result<ossl::Ptr<ASN1_OBJECT>> ObjectOf(std::string_view oid) {
  ossl::Ptr<ASN1_OBJECT> obj(::OBJ_txt2obj(std::string(oid).c_str(), /*no_name=*/1));
  if (!obj) {
    return ossl::OsslError("'" + std::string(oid) + "' is not an OID", Code::kInvalidArgument);
  }
  return obj;
}

//= https://www.rfc-editor.org/rfc/rfc2986#section-4.1
//# attributes is a collection of attributes providing additional information about the
//# subject of the certificate.
Status AddAttributes(X509_REQ* req, const std::vector<CsrAttribute>& attributes) {
  for (const CsrAttribute& a : attributes) {
    ANCHOR_ASSIGN_OR_RETURN(const ossl::Ptr<ASN1_OBJECT> obj, ObjectOf(a.oid));
    if (::X509_REQ_add1_attr_by_OBJ(req, obj.get(), V_ASN1_OCTET_STRING, a.value.data(),
                                    static_cast<int>(a.value.size())) != 1) {
      return ossl::OsslError("adding attribute " + a.oid + " to the request");
    }
  }
  return OkStatus();
}

}  // namespace

//= https://www.rfc-editor.org/rfc/rfc7030#section-4.5.2
//# CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID
//#
//# AttrOrOID ::= CHOICE (oid OBJECT IDENTIFIER, attribute Attribute }
Result<std::vector<uint8_t>> CsrAttrsDer(const std::vector<std::string>& oids) {
  ossl::Ptr<STACK_OF(ASN1_TYPE)> seq(sk_ASN1_TYPE_new_null());
  if (!seq) {
    return ossl::OsslError("sk_ASN1_TYPE_new_null");
  }
  for (const std::string& oid : oids) {
    ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<ASN1_OBJECT> obj, ObjectOf(oid));
    ossl::Ptr<ASN1_TYPE> item(::ASN1_TYPE_new());
    if (!item || sk_ASN1_TYPE_push(seq.get(), item.get()) == 0) {
      return ossl::OsslError("building csrattrs");
    }
    ::ASN1_TYPE_set(item.release(), V_ASN1_OBJECT, obj.release());  // the stack owns both
  }
  unsigned char* der = nullptr;
  const int len = ::i2d_ASN1_SEQUENCE_ANY(seq.get(), &der);
  if (len <= 0) {
    return ossl::OsslError("i2d_ASN1_SEQUENCE_ANY");
  }
  std::vector<uint8_t> out(der, der + len);
  ::OPENSSL_free(der);
  return out;
}

Result<std::optional<std::vector<uint8_t>>> Csr::OctetStringAttribute(std::string_view oid) const {
  ANCHOR_ASSIGN_OR_RETURN(const ossl::Ptr<ASN1_OBJECT> obj, ObjectOf(oid));
  const int at = ::X509_REQ_get_attr_by_OBJ(req_.get(), obj.get(), -1);
  if (at < 0) {
    return std::optional<std::vector<uint8_t>>();
  }
  const std::string what = "the request's attribute " + std::string(oid);
  if (::X509_REQ_get_attr_by_OBJ(req_.get(), obj.get(), at) >= 0) {
    return Error(Code::kInvalidArgument, what + " occurs twice");
  }
  X509_ATTRIBUTE* attr = ::X509_REQ_get_attr(req_.get(), at);
  if (::X509_ATTRIBUTE_count(attr) != 1) {
    return Error(Code::kInvalidArgument, what + " must hold exactly one value");
  }
  const ASN1_TYPE* value = ::X509_ATTRIBUTE_get0_type(attr, 0);
  if (value == nullptr || value->type != V_ASN1_OCTET_STRING) {
    return Error(Code::kInvalidArgument, what + " is not an OCTET STRING");
  }
  const ASN1_STRING* octets = value->value.octet_string;
  const uint8_t* data = ::ASN1_STRING_get0_data(octets);
  return std::optional<std::vector<uint8_t>>(
      std::vector<uint8_t>(data, data + ::ASN1_STRING_length(octets)));
}

Result<Csr> Csr::Create(const PrivateKey& key, std::string_view common_name,
                        const std::vector<GeneralName>& sans,
                        const std::vector<CsrAttribute>& attributes) {
  if (!common_name.empty()) {
    ANCHOR_TRY(names::CheckCommonName(common_name));
  }
  for (const GeneralName& san : sans) {
    ANCHOR_ASSIGN_OR_RETURN(GeneralName normal, NormalizeGeneralName(san));
    if (normal != san) {
      return Error(Code::kInvalidArgument, "the name " + Printable(san.ToString()) +
                                               " is not in normal form; write " +
                                               normal.ToString());
    }
  }
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
  if (::X509_REQ_set_pubkey(req.get(), internal::Native(key)) != 1) {
    return ossl::OsslError("X509_REQ_set_pubkey");
  }
  if (!sans.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<GENERAL_NAMES> names, internal::ToOpenssl(sans));
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
  ANCHOR_TRY(AddAttributes(req.get(), attributes));
  if (::X509_REQ_sign(req.get(), internal::Native(key), internal::SigningDigest(key)) <= 0) {
    return ossl::OsslError("X509_REQ_sign");
  }
  return Csr(std::move(req));
}

Status Csr::VerifySignature() const {
  EVP_PKEY* key = ::X509_REQ_get0_pubkey(req_.get());
  if (key == nullptr) {
    return UnreadableKey(::X509_REQ_get_X509_PUBKEY(req_.get()));
  }
  ANCHOR_TRY(CheckKeyParameters(GetPublicKey()));
  if (::X509_REQ_verify(req_.get(), key) != 1) {
    return ossl::OsslError(
        "the request's signature does not verify (no proof of possession of its key)",
        Code::kInvalidArgument);
  }
  return OkStatus();
}

std::string Csr::Subject() const {
  return internal::NameToString(::X509_REQ_get_subject_name(req_.get()));
}

std::string Csr::CommonName() const {
  return internal::NameCommonName(::X509_REQ_get_subject_name(req_.get()));
}

Result<RequestedContent> Csr::ReadContent() const {
  RequestedContent out;
  ANCHOR_TRY(ReadSubject(::X509_REQ_get_subject_name(req_.get()), out));
  ANCHOR_ASSIGN_OR_RETURN(ossl::Ptr<STACK_OF(X509_EXTENSION)> exts, ExtensionRequest(req_.get()));
  ANCHOR_TRY(CheckNoDuplicates(exts.get()));
  for (int i = 0; i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    const X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    switch (::OBJ_obj2nid(::X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext)))) {
      case NID_subject_alt_name: {
        ANCHOR_ASSIGN_OR_RETURN(out.sans, DecodeSans(ext, out.unknown_san_kinds));
        break;
      }
      case NID_basic_constraints:
        out.requests_ca = IsCaRequest(ext);
        out.other_extensions.push_back(ExtensionName(ext));
        break;
      default:
        out.other_extensions.push_back(ExtensionName(ext));
    }
  }
  return out;
}

std::vector<std::string> Csr::RequestedExtensions() const {
  std::vector<std::string> out;
  auto exts = ExtensionRequest(req_.get());
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts->get()); ++i) {
    out.push_back(ExtensionName(sk_X509_EXTENSION_value(exts->get(), i)));
  }
  return out;
}

PublicKey Csr::GetPublicKey() const {
  return internal::BorrowPublicKey(::X509_REQ_get0_pubkey(req_.get()),
                                   ::X509_REQ_get_X509_PUBKEY(req_.get()));
}

std::vector<uint8_t> Csr::ToDer() const { return internal::I2d(::i2d_X509_REQ, req_.get()); }

std::string Csr::ToPem() const { return crypto::ToPem("CERTIFICATE REQUEST", ToDer()); }

}  // namespace anchor::crypto
