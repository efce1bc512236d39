// SPDX-License-Identifier: Apache-2.0
// File: tpm_attestor.cc: the device's side of TPM 2.0 key attestation over tpm2-tss's ESYS
// (libtss2-esys, libtss2-tctildr): EK certificate, attestation key, TPM2_ActivateCredential,
// TPM2_Certify of a new key, and that key's TSS2 PRIVATE KEY file.
//
// Every TPM object a call loads is held by a Loaded, which flushes it when the call returns,
// whatever the path: a TPM without a resource manager (swtpm, /dev/tpm0) has about three
// transient object slots and keeps what a client leaves behind until it is reset.
#include "crypto/tpm_attestor.h"

#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "crypto/ossl_error.h"
#include "crypto/ossl_ptr.h"
#include "crypto/pem.h"

namespace anchor::crypto {
namespace {

// TCG EK Credential Profile 2.0, 2.2.1.4: the NV index of the RSA-2048 EK certificate, and
// TCG TPM v2.0 Provisioning Guidance 7.8: the persistent handle of the RSA EK.
constexpr TPM2_HANDLE kEkCertIndex = 0x01c00002;
constexpr TPM2_HANDLE kEkPersistent = 0x81010001;
constexpr const char* kNoEkCert =
    "the TPM has no endorsement key certificate at NV 0x01c00002 (TCG EK Credential Profile); "
    "its maker did not provision one, so it cannot prove it is a genuine TPM";

// tpm2-openssl's TSS2 PRIVATE KEY: the type OID of a loadable key and the PEM label
// (tpm2-openssl src/tpm2-provider-pkey.{h,c}; the same as tpm2-tss-engine's).
constexpr const char* kLoadableKeyOid = "2.23.133.10.1.3";
constexpr std::string_view kTss2PemLabel = "TSS2 PRIVATE KEY";

// TSSPRIVKEY ::= SEQUENCE {
//   type       OBJECT IDENTIFIER,        -- 2.23.133.10.1.3, loadable key
//   emptyAuth  [0] EXPLICIT BOOLEAN OPTIONAL,
//   parent     INTEGER,                  -- 0x40000001: the owner hierarchy's primary
//   pubkey     OCTET STRING,             -- TPM2B_PUBLIC
//   privkey    OCTET STRING }            -- TPM2B_PRIVATE
// (ASN.1 of tpm2-openssl 1.1.1 and openssl_tpm2_engine, "TSS2 PRIVATE KEY").
struct TSSPRIVKEY {
  ASN1_OBJECT* type;
  ASN1_BOOLEAN emptyAuth;
  ASN1_INTEGER* parent;
  ASN1_OCTET_STRING* pubkey;
  ASN1_OCTET_STRING* privkey;
};

// clang-format off
ASN1_SEQUENCE(TSSPRIVKEY) = {
    ASN1_SIMPLE(TSSPRIVKEY, type, ASN1_OBJECT),
    ASN1_EXP_OPT(TSSPRIVKEY, emptyAuth, ASN1_BOOLEAN, 0),
    ASN1_SIMPLE(TSSPRIVKEY, parent, ASN1_INTEGER),
    ASN1_SIMPLE(TSSPRIVKEY, pubkey, ASN1_OCTET_STRING),
    ASN1_SIMPLE(TSSPRIVKEY, privkey, ASN1_OCTET_STRING)
} static_ASN1_SEQUENCE_END(TSSPRIVKEY);  // (the macro ends a function: the ';' is for tools)
// clang-format on

struct TssPrivKeyFree {
  void operator()(TSSPRIVKEY* k) const noexcept {
    ::ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(k), ASN1_ITEM_rptr(TSSPRIVKEY));
  }
};

// EsysFree frees what ESYS returns (Esys_Free: its outputs are the caller's).
struct EsysFree {
  void operator()(void* p) const noexcept { ::Esys_Free(p); }
};
template <typename T>
using EsysOut = std::unique_ptr<T, EsysFree>;

// Out lets an ESYS call write its T** into an EsysOut, which holds it once the statement with
// the call has ended (the Out temporary's end).
template <typename T>
class Out final {
 public:
  explicit Out(EsysOut<T>& owner) : owner_(owner) {}
  ~Out() { owner_.reset(raw_); }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  operator T**() { return &raw_; }

 private:
  EsysOut<T>& owner_;
  T* raw_ = nullptr;
};

// RcText is a response code (Part 2 6.6) as tpm2-tss's libtss2-rc decodes it, and in hex.
std::string RcText(TSS2_RC rc) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", rc);
  return std::string(::Tss2_RC_Decode(rc)) + " (" + hex + ")";
}

// FromTpm: the code is the TPM's own response code (Part 2 6.6), not one of tpm2-tss's layers.
bool FromTpm(TSS2_RC rc) { return (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER; }
// Part 2 6.6.3: a format-0 response code with TPM_RC_WARN is a warning: the command may succeed
// later (no free slot, busy, lockout).
bool IsWarning(TSS2_RC rc) {
  return FromTpm(rc) && (rc & (TPM2_RC_FMT1 | TPM2_RC_WARN)) == TPM2_RC_WARN;
}
// Part 2 6.6.3: format 1 carries the error number in bits 0-5 and names a handle, session or
// parameter (TPM_RC_P) in the others.
bool Fmt1Is(TSS2_RC rc, TPM2_RC error) {
  return FromTpm(rc) && (rc & TPM2_RC_FMT1) != 0 && (rc & (TPM2_RC_FMT1 | 0x3f)) == error;
}
bool IsParameterError(TSS2_RC rc) {
  return FromTpm(rc) && (rc & TPM2_RC_FMT1) != 0 && (rc & TPM2_RC_P) != 0;
}

// TssError is a failed ESYS call `what` as one line, its code by what the caller should do: the
// connection lost or a TPM warning (busy, no free slot, dictionary-attack lockout) may pass
// (kUnavailable); anything else is the TPM refusing what anchor asked (kInternal). Response codes:
// Part 2 6.6.
Error TssError(const std::string& what, TSS2_RC rc) {
  const std::string line = what + ": " + RcText(rc);
  if ((rc & 0xffff) == TPM2_RC_LOCKOUT && FromTpm(rc)) {
    return Error(Code::kUnavailable, line +
                                         "; the TPM's dictionary-attack lockout is on: it lifts "
                                         "after its recovery time, or clear it with "
                                         "tpm2_dictionarylockout --clear-lockout");
  }
  if (IsWarning(rc)) {
    return Error(Code::kUnavailable,
                 line + "; the TPM is busy or has no free object slot; try again later");
  }
  if (!FromTpm(rc)) {
    return Error(Code::kUnavailable, line + "; check that the TPM is there");
  }
  return Error(Code::kInternal, line);
}

// Loaded is one ESYS_TR a call opened: a transient object or session it flushes from the TPM
// (TPM2_FlushContext, Part 3 28.4), or a persistent object it only closes in ESYS (flushing a
// persistent handle is an error, Part 3 28.4.1).
class Loaded final {
 public:
  enum class Kind { kTransient, kPersistent };
  Loaded(ESYS_CONTEXT* esys, Kind kind) : esys_(esys), kind_(kind) {}
  ~Loaded() { Release(); }
  Loaded(const Loaded&) = delete;
  Loaded& operator=(const Loaded&) = delete;

  // out is where an ESYS call writes the handle (once).
  ESYS_TR* out() { return &handle_; }
  ESYS_TR get() const { return handle_; }

  // Release flushes now (Part 3 28.4), to free the TPM's slot before the next object is loaded.
  void Release() noexcept {
    if (handle_ == ESYS_TR_NONE) {
      return;
    }
    // A failed flush (the connection gone) leaves ESYS's record: close it.
    if (kind_ == Kind::kPersistent || ::Esys_FlushContext(esys_, handle_) != TSS2_RC_SUCCESS) {
      ::Esys_TR_Close(esys_, &handle_);
    }
    handle_ = ESYS_TR_NONE;
  }

 private:
  ESYS_CONTEXT* esys_;
  Kind kind_;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

// Template is a TPM2B_PUBLIC of `type` with SHA-256 names (Part 1 16) and `attributes`, the rest
// zero, for the templates below to fill in.
TPM2B_PUBLIC Template(TPMI_ALG_PUBLIC type, TPMA_OBJECT attributes) {
  TPM2B_PUBLIC t{};
  t.publicArea.type = type;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = attributes;
  return t;
}

// AkTemplate is the attestation key's TPMT_PUBLIC (Part 2 12.2.4): ECC P-256, ECDSA-SHA256,
// restricted signing (Part 1 27.2: a restricted key signs only digests the TPM computed, so
// its TPMS_ATTEST cannot be forged with it), bound to this TPM, no dictionary-attack counting.
TPM2B_PUBLIC AkTemplate() {
  TPM2B_PUBLIC t = Template(TPM2_ALG_ECC, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                              TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                              TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
                                              TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA);
  TPMT_PUBLIC& p = t.publicArea;
  p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return t;
}

// Aes128Cfb is the symmetric algorithm of a storage key's children (and of the EK's): AES-128 in
// CFB mode, as every template here has it.
void Aes128Cfb(TPMT_SYM_DEF_OBJECT& symmetric) {
  symmetric.algorithm = TPM2_ALG_AES;
  symmetric.keyBits.aes = 128;
  symmetric.mode.aes = TPM2_ALG_CFB;
}

// EkTemplate is the TCG default EK template L-1 (TCG EK Credential Profile 2.0, B.3.3): RSA-2048,
// AES-128-CFB, a restricted decryption key usable only through its policy, PolicySecret of the
// endorsement hierarchy (adminWithPolicy, no userWithAuth), unique: 256 zero bytes.
TPM2B_PUBLIC EkTemplate() {
  // B.3.3's authPolicy: TPM2_PolicySecret(TPM_RH_ENDORSEMENT), SHA-256.
  static constexpr uint8_t kPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
                                          0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
                                          0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
                                          0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
  TPM2B_PUBLIC t =
      Template(TPM2_ALG_RSA, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                                 TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT);
  TPMT_PUBLIC& p = t.publicArea;
  p.authPolicy.size = sizeof kPolicy;
  std::memcpy(p.authPolicy.buffer, kPolicy, sizeof kPolicy);
  Aes128Cfb(p.parameters.rsaDetail.symmetric);
  p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.rsaDetail.keyBits = 2048;
  p.parameters.rsaDetail.exponent = 0;
  p.unique.rsa.size = 256;  // zeroed by t{}
  return t;
}

// SrkTemplate is the primary storage key tpm2-openssl 1.1.1 makes under TPM_RH_OWNER for a key
// whose parent is 0x40000001 (src/tpm2-provider-pkey.c, primaryEccTemplate, or
// primaryRsaTemplate on a TPM without ECC): a primary is a function of the hierarchy's seed and
// this template (Part 1 27.5), so the same template gives the same key, and a key created under
// ours loads under theirs. Byte for byte theirs: SHA-256 name, restricted decryption, noDA,
// AES-128-CFB, no scheme, unique empty.
TPM2B_PUBLIC SrkTemplate(bool ecc) {
  TPM2B_PUBLIC t = Template(ecc ? TPM2_ALG_ECC : TPM2_ALG_RSA,
                            TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
                                TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA | TPMA_OBJECT_FIXEDTPM |
                                TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN);
  TPMT_PUBLIC& p = t.publicArea;
  if (ecc) {
    Aes128Cfb(p.parameters.eccDetail.symmetric);
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  } else {
    Aes128Cfb(p.parameters.rsaDetail.symmetric);
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    p.parameters.rsaDetail.keyBits = 2048;
    p.parameters.rsaDetail.exponent = 0;
  }
  return t;
}

// DeviceKeyTemplate is the new key's TPMT_PUBLIC (Part 2 12.2.4): tpm2-openssl 1.1.1's EC key
// template (src/tpm2-provider-keymgmt-ec.c: SHA-256 name, no scheme, so the provider signs
// with any hash) with sign but not decrypt, and noDA: an empty-auth key has no authorisation to
// guess, and without noDA an unorderly shutdown while it is loaded counts against the
// dictionary-attack lockout (Part 1 19.8.6).
TPM2B_PUBLIC DeviceKeyTemplate(KeyType type) {
  TPM2B_PUBLIC t =
      Template(TPM2_ALG_ECC, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                 TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA);
  TPMT_PUBLIC& p = t.publicArea;
  p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.eccDetail.curveID =
      type == KeyType::kEcP384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
  p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return t;
}

// Marshal is a Part 2 structure in its canonical wire form (big-endian base types, Part 2 4;
// each sized buffer its size first, Part 2 10.4), marshalled by libtss2-mu.
template <typename T, TSS2_RC (*Fn)(const T*, uint8_t[], size_t, size_t*)>
Result<std::vector<uint8_t>> Marshal(const T& value, const char* what) {
  std::vector<uint8_t> out(sizeof(T) + 16);
  size_t len = 0;
  if (TSS2_RC rc = Fn(&value, out.data(), out.size(), &len); rc != TSS2_RC_SUCCESS) {
    return Error(Code::kInternal, std::string("cannot marshal the ") + what + ": " + RcText(rc));
  }
  out.resize(len);
  return out;
}

// Unmarshal reads a TPM structure that must fill `bytes` exactly; `what` names the bytes.
template <typename T, TSS2_RC (*Fn)(const uint8_t[], size_t, size_t*, T*)>
Result<T> Unmarshal(std::span<const uint8_t> bytes, const std::string& what) {
  T value{};
  size_t offset = 0;
  if (Fn(bytes.data(), bytes.size(), &offset, &value) != TSS2_RC_SUCCESS ||
      offset != bytes.size()) {
    return Error(Code::kInvalidArgument, what + " is damaged (libtss2-mu cannot read it)");
  }
  return value;
}

// Tss2PrivateKeyPem writes the TSSPRIVKEY of a key made under the owner hierarchy's primary
// (parent 0x40000001, the form tpm2-openssl writes for its own keys) with an empty auth.
Result<std::string> Tss2PrivateKeyPem(const TPM2B_PUBLIC& pub, const TPM2B_PRIVATE& priv) {
  ANCHOR_ASSIGN_OR_RETURN(auto pub_bytes,
                          (Marshal<TPM2B_PUBLIC, ::Tss2_MU_TPM2B_PUBLIC_Marshal>(pub, "key")));
  ANCHOR_ASSIGN_OR_RETURN(auto priv_bytes,
                          (Marshal<TPM2B_PRIVATE, ::Tss2_MU_TPM2B_PRIVATE_Marshal>(priv, "key")));
  std::unique_ptr<TSSPRIVKEY, TssPrivKeyFree> key(
      reinterpret_cast<TSSPRIVKEY*>(::ASN1_item_new(ASN1_ITEM_rptr(TSSPRIVKEY))));
  if (!key) {
    return ossl::OsslError("TSSPRIVKEY_new");
  }
  key->type = ::OBJ_txt2obj(kLoadableKeyOid, 1);
  key->emptyAuth = 0xff;  // DER's TRUE (X.690 11.1)
  if (key->type == nullptr || ::ASN1_INTEGER_set_uint64(key->parent, TPM2_RH_OWNER) != 1 ||
      ::ASN1_OCTET_STRING_set(key->pubkey, pub_bytes.data(), static_cast<int>(pub_bytes.size())) !=
          1 ||
      ::ASN1_OCTET_STRING_set(key->privkey, priv_bytes.data(),
                              static_cast<int>(priv_bytes.size())) != 1) {
    return ossl::OsslError("building the TSS2 PRIVATE KEY");
  }
  unsigned char* der = nullptr;
  const int len =
      ::ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(key.get()), &der, ASN1_ITEM_rptr(TSSPRIVKEY));
  if (len <= 0) {
    return ossl::OsslError("encoding the TSS2 PRIVATE KEY");
  }
  std::string pem = ToPem(kTss2PemLabel, std::span<const uint8_t>(der, static_cast<size_t>(len)));
  ::OPENSSL_free(der);
  return pem;
}

// Tss2Key is a key's public and private areas, as a TSS2 PRIVATE KEY holds them.
struct Tss2Key {
  TPM2B_PUBLIC pub;
  TPM2B_PRIVATE priv;
};

// ReadTss2PrivateKey reads a TSS2 PRIVATE KEY of a loadable key under the owner hierarchy's
// primary (what Tss2PrivateKeyPem and tpm2-openssl write); anything else is kInvalidArgument.
Result<Tss2Key> ReadTss2PrivateKey(std::string_view pem) {
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<PemBlock> blocks, ParsePemBlocks(pem));
  if (blocks.size() != 1 || blocks.front().label != kTss2PemLabel) {
    return Error(Code::kInvalidArgument, "not a TSS2 PRIVATE KEY");
  }
  const std::vector<uint8_t>& der = blocks.front().der;
  const unsigned char* p = der.data();
  std::unique_ptr<TSSPRIVKEY, TssPrivKeyFree> key(reinterpret_cast<TSSPRIVKEY*>(
      ::ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(TSSPRIVKEY))));
  uint64_t parent = 0;
  if (!key || p != der.data() + der.size() ||
      ::OBJ_cmp(key->type, ossl::Ptr<ASN1_OBJECT>(::OBJ_txt2obj(kLoadableKeyOid, 1)).get()) != 0 ||
      ::ASN1_INTEGER_get_uint64(&parent, key->parent) != 1 || parent != TPM2_RH_OWNER) {
    ossl::ClearErrors();
    return Error(Code::kInvalidArgument,
                 "not a TSS2 PRIVATE KEY of a loadable key under the owner hierarchy's primary");
  }
  const auto bytes = [](const ASN1_OCTET_STRING* s) {
    return std::span<const uint8_t>(::ASN1_STRING_get0_data(s),
                                    static_cast<size_t>(::ASN1_STRING_length(s)));
  };
  Tss2Key out;
  ANCHOR_ASSIGN_OR_RETURN(out.pub, (Unmarshal<TPM2B_PUBLIC, ::Tss2_MU_TPM2B_PUBLIC_Unmarshal>(
                                       bytes(key->pubkey), "the key file's TPM2B_PUBLIC")));
  ANCHOR_ASSIGN_OR_RETURN(out.priv, (Unmarshal<TPM2B_PRIVATE, ::Tss2_MU_TPM2B_PRIVATE_Unmarshal>(
                                        bytes(key->privkey), "the key file's TPM2B_PRIVATE")));
  return out;
}

// CreatePrimary is TPM2_CreatePrimary (Part 3 24.1) in `hierarchy` (its auth empty) with an
// empty sensitive area: the key is derived from the hierarchy's seed and `tmpl`.
Status CreatePrimary(ESYS_CONTEXT* esys, ESYS_TR hierarchy, const TPM2B_PUBLIC& tmpl,
                     Loaded& object, EsysOut<TPM2B_PUBLIC>* out_public, const char* what) {
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION pcrs{};
  EsysOut<TPM2B_PUBLIC> pub;
  if (TSS2_RC rc = ::Esys_CreatePrimary(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                        ESYS_TR_NONE, &sensitive, &tmpl, &outside, &pcrs,
                                        object.out(), Out(pub), nullptr, nullptr, nullptr);
      rc != TSS2_RC_SUCCESS) {
    return TssError(std::string("cannot create the ") + what + " in the TPM", rc);
  }
  if (out_public != nullptr) {
    *out_public = std::move(pub);
  }
  return OkStatus();
}

// CreateAk loads the attestation key: TPM2_CreatePrimary (Part 3 24.1) in the endorsement
// hierarchy, the same key every time for this TPM.
Status CreateAk(ESYS_CONTEXT* esys, Loaded& ak, EsysOut<TPM2B_PUBLIC>* out_public) {
  return CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, AkTemplate(), ak, out_public,
                       "attestation key");
}

// SupportsEcc asks the TPM whether it implements ECC (TPM2_GetCapability, Part 3 30.2,
// TPM_CAP_ALGS), as tpm2-openssl does before it chooses its primary's template.
Result<bool> SupportsEcc(ESYS_CONTEXT* esys) {
  EsysOut<TPMS_CAPABILITY_DATA> caps;
  TPMI_YES_NO more = TPM2_NO;
  if (TSS2_RC rc = ::Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                        TPM2_CAP_ALGS, TPM2_ALG_ECC, 1, &more, Out(caps));
      rc != TSS2_RC_SUCCESS) {
    return TssError("cannot read the TPM's algorithms", rc);
  }
  const TPML_ALG_PROPERTY& algs = caps->data.algorithms;
  return algs.count > 0 && algs.algProperties[0].alg == TPM2_ALG_ECC;
}

// NvBufferMax is the most TPM2_NV_Read returns at once (TPM_PT_NV_BUFFER_MAX, Part 2 6.13),
// asked with TPM2_GetCapability (Part 3 30.2); 512 when the TPM does not say.
uint16_t NvBufferMax(ESYS_CONTEXT* esys) {
  EsysOut<TPMS_CAPABILITY_DATA> caps;
  TPMI_YES_NO more = TPM2_NO;
  // (Out hands `caps` over at the end of the statement: read it in the next.)
  const TSS2_RC rc =
      ::Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                           TPM2_PT_NV_BUFFER_MAX, 1, &more, Out(caps));
  if (rc != TSS2_RC_SUCCESS || caps->data.tpmProperties.count == 0 ||
      caps->data.tpmProperties.tpmProperty[0].property != TPM2_PT_NV_BUFFER_MAX) {
    return 512;
  }
  const uint32_t value = caps->data.tpmProperties.tpmProperty[0].value;
  return static_cast<uint16_t>(std::min<uint32_t>(value, sizeof(TPM2B_MAX_NV_BUFFER::buffer)));
}

// Healthy asks the TPM whether it is in failure mode: TPM2_GetTestResult (Part 3 10.4), which a
// TPM answers in failure mode too (Part 1 12.10.5), with TPM_RC_SUCCESS only when it is not.
bool Healthy(ESYS_CONTEXT* esys) {
  EsysOut<TPM2B_MAX_BUFFER> data;
  TPM2_RC result = TPM2_RC_FAILURE;
  return ::Esys_GetTestResult(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, Out(data), &result) ==
             TSS2_RC_SUCCESS &&
         result == TPM2_RC_SUCCESS;
}

}  // namespace

Result<TpmAttestor> TpmAttestor::Open(std::string_view tcti) {
  // The same default as crypto/tpm2_key: tpm2-openssl reads $TPM2OPENSSL_TCTI, then falls back
  // on tpm2-tss's search (tabrmd, /dev/tpmrm0, /dev/tpm0, a simulator on localhost).
  std::string conf(tcti);
  if (conf.empty()) {
    if (const char* env = std::getenv("TPM2OPENSSL_TCTI"); env != nullptr) {
      conf = env;
    }
  }
  const std::string where =
      conf.empty() ? "the TPM (tpm2-tss's default TCTI)" : "the TPM at " + conf;
  // tpm2-tss logs every TCTI it fails to open on stderr; anchor says what failed in one line.
  // A user's own TSS2_LOG stays.
  ::setenv("TSS2_LOG", "all+NONE", 0);
  TSS2_TCTI_CONTEXT* tcti_ctx = nullptr;
  if (TSS2_RC rc = ::Tss2_TctiLdr_Initialize(conf.empty() ? nullptr : conf.c_str(), &tcti_ctx);
      rc != TSS2_RC_SUCCESS) {
    const TSS2_RC base = rc & ~TSS2_RC_LAYER_MASK;
    if (base == TSS2_BASE_RC_NOT_SUPPORTED || base == TSS2_BASE_RC_BAD_VALUE) {
      return Error(Code::kInvalidArgument,
                   "the TCTI '" + conf + "' is not one tpm2-tss can use (" + RcText(rc) +
                       "); write device:/dev/tpmrm0 or swtpm:host=HOST,port=PORT");
    }
    return Error(Code::kUnavailable, "cannot reach " + where + ": " + RcText(rc) +
                                         "; check the TCTI and that the TPM is there");
  }
  ESYS_CONTEXT* esys = nullptr;
  if (TSS2_RC rc = ::Esys_Initialize(&esys, tcti_ctx, nullptr); rc != TSS2_RC_SUCCESS) {
    ::Tss2_TctiLdr_Finalize(&tcti_ctx);
    return Error(Code::kUnavailable, "cannot start tpm2-tss's ESYS on " + where + ": " +
                                         RcText(rc) + "; check that the TPM is there");
  }
  return TpmAttestor(std::move(conf), tcti_ctx, esys);
}

// The moved-from attestor holds no connection (no TPM object lives across calls, Part 3 28.4).
TpmAttestor::TpmAttestor(TpmAttestor&& other) noexcept
    : tcti_(std::move(other.tcti_)),
      tcti_ctx_(std::exchange(other.tcti_ctx_, nullptr)),
      esys_(std::exchange(other.esys_, nullptr)) {}

TpmAttestor& TpmAttestor::operator=(TpmAttestor&& other) noexcept {
  if (this != &other) {
    Close();
    tcti_ = std::move(other.tcti_);
    tcti_ctx_ = std::exchange(other.tcti_ctx_, nullptr);
    esys_ = std::exchange(other.esys_, nullptr);
  }
  return *this;
}

// ~TpmAttestor: see Close.
TpmAttestor::~TpmAttestor() { Close(); }

// Close finalizes ESYS and then its TCTI, which closes the connection. No object is left
// loaded: each call flushed its own (Part 3 28.4) before it returned.
void TpmAttestor::Close() noexcept {
  if (esys_ != nullptr) {
    ::Esys_Finalize(&esys_);
  }
  if (tcti_ctx_ != nullptr) {
    ::Tss2_TctiLdr_Finalize(&tcti_ctx_);
  }
}

// EndorsementCertificate reads NV index 0x01c00002: TPM2_NV_ReadPublic (Part 3 31.6) for its
// size and attributes, then TPM2_NV_Read (Part 3 31.13) in pieces of TPM_PT_NV_BUFFER_MAX.
Result<std::vector<uint8_t>> TpmAttestor::EndorsementCertificate() {
  Loaded nv(esys_, Loaded::Kind::kPersistent);
  if (TSS2_RC rc = ::Esys_TR_FromTPMPublic(esys_, kEkCertIndex, ESYS_TR_NONE, ESYS_TR_NONE,
                                           ESYS_TR_NONE, nv.out());
      rc != TSS2_RC_SUCCESS) {
    // Part 3 31.6: an index that is not defined is TPM_RC_HANDLE.
    if (Fmt1Is(rc, TPM2_RC_HANDLE)) {
      return Error(Code::kFailedPrecondition, kNoEkCert);
    }
    return TssError("cannot read the endorsement key certificate's NV index", rc);
  }
  EsysOut<TPM2B_NV_PUBLIC> pub;
  if (TSS2_RC rc = ::Esys_NV_ReadPublic(esys_, nv.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                        Out(pub), nullptr);
      rc != TSS2_RC_SUCCESS) {
    return TssError("cannot read the endorsement key certificate's NV index", rc);
  }
  const TPMA_NV attrs = pub->nvPublic.attributes;
  const uint16_t size = pub->nvPublic.dataSize;
  if (size == 0 || (attrs & TPMA_NV_WRITTEN) == 0) {
    return Error(Code::kFailedPrecondition, kNoEkCert);
  }
  // TCG EK Credential Profile 2.0, 2.2.1.5: the index is readable with the owner's or its own
  // (empty) authorisation.
  const ESYS_TR auth = (attrs & TPMA_NV_AUTHREAD) != 0 ? nv.get() : ESYS_TR_RH_OWNER;
  const uint16_t chunk = NvBufferMax(esys_);
  std::vector<uint8_t> data;
  data.reserve(size);
  while (data.size() < size) {
    const auto want = static_cast<uint16_t>(std::min<size_t>(chunk, size - data.size()));
    EsysOut<TPM2B_MAX_NV_BUFFER> piece;
    if (TSS2_RC rc =
            ::Esys_NV_Read(esys_, auth, nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           want, static_cast<uint16_t>(data.size()), Out(piece));
        rc != TSS2_RC_SUCCESS) {
      return TssError("cannot read the endorsement key certificate from NV", rc);
    }
    if (piece->size == 0) {
      return Error(Code::kInternal, "the TPM returned no data reading its EK certificate");
    }
    data.insert(data.end(), piece->buffer, piece->buffer + piece->size);
  }
  // Some makers pad the index after the certificate: keep the DER certificate only.
  const unsigned char* p = data.data();
  ossl::Ptr<X509> cert(::d2i_X509(nullptr, &p, static_cast<long>(data.size())));
  if (!cert) {
    ossl::ClearErrors();
    return Error(Code::kFailedPrecondition,
                 "the TPM's NV index 0x01c00002 holds no DER X.509 certificate; the TPM's "
                 "endorsement key certificate is damaged");
  }
  data.resize(static_cast<size_t>(p - data.data()));
  return data;
}

// AttestationKeyPublic creates the AK (TPM2_CreatePrimary, Part 3 24.1), takes its public area
// and flushes it (TPM2_FlushContext, Part 3 28.4).
Result<std::vector<uint8_t>> TpmAttestor::AttestationKeyPublic() {
  Loaded ak(esys_, Loaded::Kind::kTransient);
  EsysOut<TPM2B_PUBLIC> pub;
  ANCHOR_TRY(CreateAk(esys_, ak, &pub));
  return Marshal<TPM2B_PUBLIC, ::Tss2_MU_TPM2B_PUBLIC_Marshal>(*pub, "attestation key");
}

// ActivateCredential is TPM2_ActivateCredential (Part 3 12.5): the AK (activateHandle, ADMIN
// role: its empty password, as it has no adminWithPolicy) and the EK (keyHandle, USER role: its
// policy, PolicySecret of the endorsement hierarchy, Part 3 23.4, in a policy session started
// with TPM2_StartAuthSession, Part 3 11.1). Two transient objects and one session at most.
Result<std::vector<uint8_t>> TpmAttestor::ActivateCredential(const Credential& credential) {
  ANCHOR_ASSIGN_OR_RETURN(const TPM2B_ID_OBJECT id,
                          (Unmarshal<TPM2B_ID_OBJECT, ::Tss2_MU_TPM2B_ID_OBJECT_Unmarshal>(
                              credential.id_object, "the credential's TPM2B_ID_OBJECT")));
  ANCHOR_ASSIGN_OR_RETURN(
      const TPM2B_ENCRYPTED_SECRET secret,
      (Unmarshal<TPM2B_ENCRYPTED_SECRET, ::Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal>(
          credential.encrypted_secret, "the credential's TPM2B_ENCRYPTED_SECRET")));
  Loaded ak(esys_, Loaded::Kind::kTransient);
  ANCHOR_TRY(CreateAk(esys_, ak, nullptr));
  // The EK as its maker persisted it (TCG Provisioning Guidance 7.8), else made again from its
  // template (Part 1 27.5: same seed, same template, same key).
  Loaded persistent_ek(esys_, Loaded::Kind::kPersistent);
  Loaded created_ek(esys_, Loaded::Kind::kTransient);
  ESYS_TR ek = ESYS_TR_NONE;
  if (TSS2_RC rc = ::Esys_TR_FromTPMPublic(esys_, kEkPersistent, ESYS_TR_NONE, ESYS_TR_NONE,
                                           ESYS_TR_NONE, persistent_ek.out());
      rc == TSS2_RC_SUCCESS) {
    ek = persistent_ek.get();
  } else if (Fmt1Is(rc, TPM2_RC_HANDLE)) {
    ANCHOR_TRY(CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, EkTemplate(), created_ek, nullptr,
                             "endorsement key"));
    ek = created_ek.get();
  } else {
    return TssError("cannot read the endorsement key at 0x81010001", rc);
  }
  Loaded session(esys_, Loaded::Kind::kTransient);
  const TPMT_SYM_DEF no_symmetric{.algorithm = TPM2_ALG_NULL, .keyBits = {}, .mode = {}};
  if (TSS2_RC rc = ::Esys_StartAuthSession(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                           ESYS_TR_NONE, ESYS_TR_NONE, nullptr, TPM2_SE_POLICY,
                                           &no_symmetric, TPM2_ALG_SHA256, session.out());
      rc != TSS2_RC_SUCCESS) {
    return TssError("cannot start a policy session for the endorsement key", rc);
  }
  if (TSS2_RC rc = ::Esys_PolicySecret(esys_, ESYS_TR_RH_ENDORSEMENT, session.get(),
                                       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, nullptr,
                                       nullptr, nullptr, 0, nullptr, nullptr);
      rc != TSS2_RC_SUCCESS) {
    return TssError("cannot satisfy the endorsement key's policy (PolicySecret)", rc);
  }
  EsysOut<TPM2B_DIGEST> recovered;
  if (TSS2_RC rc = ::Esys_ActivateCredential(esys_, ak.get(), ek, ESYS_TR_PASSWORD, session.get(),
                                             ESYS_TR_NONE, &id, &secret, Out(recovered));
      rc != TSS2_RC_SUCCESS) {
    // Part 3 12.5.3: a seed the EK cannot decrypt, or an HMAC over another Name, is an error
    // on a parameter (TPM_RC_VALUE, TPM_RC_INTEGRITY, ...). libtpms (swtpm) answers a seed it
    // cannot decrypt with TPM_RC_FAILURE, and goes on working: that is a refusal too, when the
    // TPM's self-test result says it is not in failure mode.
    if (IsParameterError(rc) || (rc == TPM2_RC_FAILURE && Healthy(esys_))) {
      return Error(Code::kPermissionDenied,
                   "the TPM refused the credential (" + RcText(rc) +
                       "): it was not made for this TPM's endorsement key and attestation key");
    }
    return TssError("TPM2_ActivateCredential failed", rc);
  }
  std::vector<uint8_t> out(recovered->buffer, recovered->buffer + recovered->size);
  ::OPENSSL_cleanse(recovered->buffer, sizeof recovered->buffer);
  return out;
}

namespace {

// QualifyingData is the verifier's challenge as TPM2_Certify takes it (at most 64 bytes).
Result<TPM2B_DATA> QualifyingData(std::span<const uint8_t> data) {
  TPM2B_DATA qualifying{};
  if (data.size() > sizeof qualifying.buffer) {
    return Error(Code::kInvalidArgument,
                 "the qualifying data for TPM2_Certify is " + std::to_string(data.size()) +
                     " bytes; a TPM takes at most " + std::to_string(sizeof qualifying.buffer));
  }
  qualifying.size = static_cast<UINT16>(data.size());
  std::copy(data.begin(), data.end(), qualifying.buffer);
  return qualifying;
}

// LoadOwnerKey is TPM2_Load (Part 3 12.2) of `key_file` under the owner hierarchy's storage key:
// `srk_made` when the caller made it already, else made now (Part 3 24.1); it is flushed once
// the key is in (Part 3 28.4).
Status LoadOwnerKey(ESYS_CONTEXT* esys, const Tss2Key& key_file, Loaded& key, Loaded* srk_made) {
  ANCHOR_ASSIGN_OR_RETURN(const bool ecc, SupportsEcc(esys));
  Loaded own_srk(esys, Loaded::Kind::kTransient);
  Loaded& srk = srk_made != nullptr ? *srk_made : own_srk;
  if (srk.get() == ESYS_TR_NONE) {
    ANCHOR_TRY(CreatePrimary(esys, ESYS_TR_RH_OWNER, SrkTemplate(ecc), srk, nullptr,
                             "owner hierarchy's storage key"));
  }
  if (TSS2_RC rc = ::Esys_Load(esys, srk.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                               &key_file.priv, &key_file.pub, key.out());
      rc != TSS2_RC_SUCCESS) {
    if (IsParameterError(rc) || Fmt1Is(rc, TPM2_RC_INTEGRITY)) {
      return Error(Code::kInvalidArgument,
                   "the key file was sealed by another TPM (or is damaged): " + RcText(rc));
    }
    return TssError("cannot load the key into the TPM", rc);
  }
  srk.Release();  // its slot is the AK's
  return OkStatus();
}

// Certify is TPM2_Certify (Part 3 18.2) of the loaded `key` by the AK, made for it (Part 3
// 24.1), with `qualifying` as extraData; both are flushed before it returns.
Result<CertifiedKey> Certify(ESYS_CONTEXT* esys, const Tss2Key& key_file, Loaded& key,
                             const TPM2B_DATA& qualifying) {
  Loaded ak(esys, Loaded::Kind::kTransient);
  ANCHOR_TRY(CreateAk(esys, ak, nullptr));
  const TPMT_SIG_SCHEME scheme{.scheme = TPM2_ALG_ECDSA,
                               .details = {.ecdsa = {.hashAlg = TPM2_ALG_SHA256}}};
  EsysOut<TPM2B_ATTEST> attest;
  EsysOut<TPMT_SIGNATURE> signature;
  if (TSS2_RC rc = ::Esys_Certify(esys, key.get(), ak.get(), ESYS_TR_PASSWORD, ESYS_TR_PASSWORD,
                                  ESYS_TR_NONE, &qualifying, &scheme, Out(attest), Out(signature));
      rc != TSS2_RC_SUCCESS) {
    return TssError("TPM2_Certify of the key failed", rc);
  }
  key.Release();
  ak.Release();

  CertifiedKey out;
  ANCHOR_ASSIGN_OR_RETURN(out.tss2_pem, Tss2PrivateKeyPem(key_file.pub, key_file.priv));
  ANCHOR_ASSIGN_OR_RETURN(
      out.key_public, (Marshal<TPM2B_PUBLIC, ::Tss2_MU_TPM2B_PUBLIC_Marshal>(key_file.pub, "key")));
  // TPM2B_ATTEST's attestationData is the marshalled TPMS_ATTEST the AK signed (Part 2 10.12.13).
  out.attest.assign(attest->attestationData, attest->attestationData + attest->size);
  ANCHOR_ASSIGN_OR_RETURN(out.signature, (Marshal<TPMT_SIGNATURE, ::Tss2_MU_TPMT_SIGNATURE_Marshal>(
                                             *signature, "certification's signature")));
  return out;
}

}  // namespace

// CreateCertifiedKey: TPM2_CreatePrimary (Part 3 24.1) of the owner's storage key,
// TPM2_Create (Part 3 12.1) and TPM2_Load (Part 3 12.2) of the key under it, the storage key
// flushed (Part 3 28.4), the AK made (24.1), and TPM2_Certify (Part 3 18.2) of the key by the
// AK. Two transient objects at most.
Result<CertifiedKey> TpmAttestor::CreateCertifiedKey(KeyType type,
                                                     std::span<const uint8_t> qualifying_data) {
  if (type != KeyType::kEcP256 && type != KeyType::kEcP384) {
    return Error(Code::kUnimplemented, "anchor certifies ec-p256 or ec-p384 keys in a TPM, not " +
                                           std::string(KeyTypeName(type)));
  }
  ANCHOR_ASSIGN_OR_RETURN(const TPM2B_DATA qualifying, QualifyingData(qualifying_data));
  ANCHOR_ASSIGN_OR_RETURN(const bool ecc, SupportsEcc(esys_));
  Loaded srk(esys_, Loaded::Kind::kTransient);
  ANCHOR_TRY(CreatePrimary(esys_, ESYS_TR_RH_OWNER, SrkTemplate(ecc), srk, nullptr,
                           "owner hierarchy's storage key"));
  const TPM2B_SENSITIVE_CREATE sensitive{};  // empty auth: the TSS2 key's emptyAuth TRUE
  const TPM2B_PUBLIC tmpl = DeviceKeyTemplate(type);
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION pcrs{};
  EsysOut<TPM2B_PRIVATE> priv;
  EsysOut<TPM2B_PUBLIC> pub;
  if (TSS2_RC rc =
          ::Esys_Create(esys_, srk.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                        &tmpl, &outside, &pcrs, Out(priv), Out(pub), nullptr, nullptr, nullptr);
      rc != TSS2_RC_SUCCESS) {
    if (Fmt1Is(rc, TPM2_RC_CURVE)) {
      return Error(Code::kUnimplemented, "the TPM has no " + std::string(KeyTypeName(type)) +
                                             " keys (" + RcText(rc) + ")");
    }
    return TssError("cannot create the key in the TPM", rc);
  }
  const Tss2Key made{*pub, *priv};
  Loaded key(esys_, Loaded::Kind::kTransient);
  ANCHOR_TRY(LoadOwnerKey(esys_, made, key, &srk));
  return Certify(esys_, made, key, qualifying);
}

// CertifyKey: the key file loaded under the owner's storage key made again (Part 3 24.1, 12.2),
// then certified as CreateCertifiedKey certifies a new key.
Result<CertifiedKey> TpmAttestor::CertifyKey(std::string_view tss2_pem,
                                             std::span<const uint8_t> qualifying_data) {
  ANCHOR_ASSIGN_OR_RETURN(const TPM2B_DATA qualifying, QualifyingData(qualifying_data));
  ANCHOR_ASSIGN_OR_RETURN(const Tss2Key key_file, ReadTss2PrivateKey(tss2_pem));
  Loaded key(esys_, Loaded::Kind::kTransient);
  ANCHOR_TRY(LoadOwnerKey(esys_, key_file, key, nullptr));
  return Certify(esys_, key_file, key, qualifying);
}

}  // namespace anchor::crypto
