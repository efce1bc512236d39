// SPDX-License-Identifier: Apache-2.0
// File: tpm_attestation.cc: TPM2B_PUBLIC, TPM2_Certify and TPM2_MakeCredential for the verifier,
// with libtss2-mu for the TPM structures and OpenSSL for the cryptography.
#include "crypto/tpm_attestation.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "crypto/external_key.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

std::string RcText(TSS2_RC rc) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", rc);
  return hex;
}

Status Refused(const std::string& why) {
  return Error(Code::kPermissionDenied, "TPM attestation: " + why);
}

const EVP_MD* HashOf(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA256:
      return ::EVP_sha256();
    case TPM2_ALG_SHA384:
      return ::EVP_sha384();
    default:
      return nullptr;
  }
}

Result<std::vector<uint8_t>> Digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (::EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    return ossl::OsslError("EVP_Digest");
  }
  out.resize(len);
  return out;
}

// EccKey builds the public key from the TPMS_ECC_POINT of a TPMT_PUBLIC (Part 2 11.2.5.2).
Result<PublicKey> EccKey(const TPMT_PUBLIC& pub) {
  const char* group = pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256   ? "P-256"
                      : pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P384 ? "P-384"
                                                                               : nullptr;
  const size_t field = pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 ? 32 : 48;
  const TPMS_ECC_POINT& p = pub.unique.ecc;
  if (group == nullptr || p.x.size == 0 || p.x.size > field || p.y.size == 0 || p.y.size > field) {
    return Error(Code::kInvalidArgument,
                 "TPM key: an ECC key anchor does not take (P-256 and P-384 only)");
  }
  // X9.62 uncompressed: 04 || x || y, each left-padded to the field size.
  std::vector<uint8_t> point(1 + 2 * field, 0);
  point[0] = 0x04;
  std::memcpy(point.data() + 1 + field - p.x.size, p.x.buffer, p.x.size);
  std::memcpy(point.data() + 1 + 2 * field - p.y.size, p.y.buffer, p.y.size);
  OSSL_PARAM params[] = {
      ::OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      ::OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      ::OSSL_PARAM_construct_end()};
  ossl::Ptr<EVP_PKEY_CTX> ctx(::EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || ::EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      ::EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return ossl::OsslError("TPM key: not a point on its curve", Code::kInvalidArgument);
  }
  ossl::Ptr<EVP_PKEY> owned(key);
  return internal::BorrowPublicKey(key);
}

// KdfA is TPM 2.0's KDFa (Part 1 11.4.10.2): SP 800-108 counter mode with HMAC, which is
// OpenSSL's KBKDF with the label as its salt and the context as its info.
Result<std::vector<uint8_t>> KdfA(std::span<const uint8_t> key, const char* label,
                                  std::span<const uint8_t> context, size_t bytes) {
  ossl::Ptr<EVP_KDF> kdf(::EVP_KDF_fetch(nullptr, "KBKDF", nullptr));
  ossl::Ptr<EVP_KDF_CTX> ctx(kdf ? ::EVP_KDF_CTX_new(kdf.get()) : nullptr);
  // KDFa's input is [i] || Label || 00 || Context || [bits]; KBKDF puts the 00 between its salt
  // (the label, without its NUL) and its info (the context) itself.
  std::vector<uint8_t> salt(label, label + std::strlen(label));
  OSSL_PARAM params[] = {
      ::OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, const_cast<char*>("counter"), 0),
      ::OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, const_cast<char*>("HMAC"), 0),
      ::OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()),
                                          key.size()),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(context.data()),
                                          context.size()),
      ::OSSL_PARAM_construct_end()};
  std::vector<uint8_t> out(bytes);
  if (!ctx || ::EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return ossl::OsslError("KDFa");
  }
  return out;
}

}  // namespace

Result<TpmPublic> ParseTpmPublic(std::span<const uint8_t> bytes) {
  if (bytes.empty()) {
    return Error(Code::kInvalidArgument, "not a TPM2B_PUBLIC (no bytes)");
  }
  TPM2B_PUBLIC pub{};
  size_t offset = 0;
  if (TSS2_RC rc = ::Tss2_MU_TPM2B_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &offset, &pub);
      rc != TSS2_RC_SUCCESS || offset != bytes.size()) {
    return Error(
        Code::kInvalidArgument,
        "not a TPM2B_PUBLIC (" + (rc != 0 ? "libtss2-mu " + RcText(rc) : "bytes left over") + ")");
  }
  // Part 2 10.4.1: the size is that of the TPMT_PUBLIC after it, as a TPM would check.
  if (pub.size + 2u != bytes.size()) {
    return Error(Code::kInvalidArgument, "not a TPM2B_PUBLIC (its size is not its length)");
  }
  const TPMT_PUBLIC& area = pub.publicArea;
  if (area.type != TPM2_ALG_ECC) {
    return Error(Code::kInvalidArgument, "TPM key: not an ECC key (anchor takes P-256 and P-384)");
  }
  const EVP_MD* md = HashOf(area.nameAlg);
  if (md == nullptr) {
    return Error(Code::kInvalidArgument, "TPM key: a name algorithm other than SHA-256/384");
  }
  // Part 1 16: Name = nameAlg || H_nameAlg(TPMT_PUBLIC).
  std::vector<uint8_t> marshalled(sizeof(TPMT_PUBLIC));
  size_t len = 0;
  if (TSS2_RC rc = ::Tss2_MU_TPMT_PUBLIC_Marshal(&area, marshalled.data(), marshalled.size(), &len);
      rc != TSS2_RC_SUCCESS) {
    return Error(Code::kInvalidArgument,
                 "TPM key: cannot marshal its TPMT_PUBLIC (" + RcText(rc) + ")");
  }
  marshalled.resize(len);
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> hash, Digest(md, marshalled));
  std::vector<uint8_t> name = {static_cast<uint8_t>(area.nameAlg >> 8),
                               static_cast<uint8_t>(area.nameAlg)};
  name.insert(name.end(), hash.begin(), hash.end());
  ANCHOR_ASSIGN_OR_RETURN(PublicKey key, EccKey(area));
  const TPMA_OBJECT a = area.objectAttributes;
  TpmPublic out{std::move(name),
                a,
                (a & TPMA_OBJECT_FIXEDTPM) != 0,
                (a & TPMA_OBJECT_FIXEDPARENT) != 0,
                (a & TPMA_OBJECT_SENSITIVEDATAORIGIN) != 0,
                (a & TPMA_OBJECT_RESTRICTED) != 0,
                (a & TPMA_OBJECT_SIGN_ENCRYPT) != 0,
                std::move(key)};
  return out;
}

Result<std::vector<uint8_t>> CertifiedExtraData(std::span<const uint8_t> attest_bytes) {
  TPMS_ATTEST attest{};
  size_t offset = 0;
  if (::Tss2_MU_TPMS_ATTEST_Unmarshal(attest_bytes.data(), attest_bytes.size(), &offset, &attest) !=
          TSS2_RC_SUCCESS ||
      offset != attest_bytes.size()) {
    return Refused("the certification is not a TPMS_ATTEST").error();
  }
  return std::vector<uint8_t>(attest.extraData.buffer,
                              attest.extraData.buffer + attest.extraData.size);
}

Status VerifyCertification(std::span<const uint8_t> attest_bytes,
                           std::span<const uint8_t> signature_bytes, const TpmPublic& ak,
                           const TpmPublic& key, std::span<const uint8_t> qualifying_data) {
  if (!ak.restricted || !ak.sign || !ak.fixed_tpm || !ak.fixed_parent ||
      !ak.sensitive_data_origin) {
    return Refused(
        "the attestation key is not a restricted signing key made in and bound to its TPM "
        "(restricted, sign, fixedTPM, fixedParent, sensitiveDataOrigin)");
  }
  TPMS_ATTEST attest{};
  size_t offset = 0;
  if (::Tss2_MU_TPMS_ATTEST_Unmarshal(attest_bytes.data(), attest_bytes.size(), &offset, &attest) !=
          TSS2_RC_SUCCESS ||
      offset != attest_bytes.size()) {
    return Refused("the certification is not a TPMS_ATTEST");
  }
  // Part 2 10.12.8: magic is TPM_GENERATED_VALUE only in what the TPM itself made; a restricted
  // key signs nothing that begins so unless the TPM made it (Part 1 27.2.3).
  if (attest.magic != TPM2_GENERATED_VALUE || attest.type != TPM2_ST_ATTEST_CERTIFY) {
    return Refused("the certification was not made by a TPM's TPM2_Certify");
  }
  if (attest.extraData.size != qualifying_data.size() ||
      std::memcmp(attest.extraData.buffer, qualifying_data.data(), qualifying_data.size()) != 0) {
    return Refused("the certification does not carry this enrollment's challenge");
  }
  const TPM2B_NAME& certified = attest.attested.certify.name;
  if (certified.size != key.name.size() ||
      std::memcmp(certified.name, key.name.data(), key.name.size()) != 0) {
    return Refused("the certification is of another key than the one presented");
  }
  TPMT_SIGNATURE sig{};
  offset = 0;
  if (::Tss2_MU_TPMT_SIGNATURE_Unmarshal(signature_bytes.data(), signature_bytes.size(), &offset,
                                         &sig) != TSS2_RC_SUCCESS ||
      offset != signature_bytes.size() || sig.sigAlg != TPM2_ALG_ECDSA) {
    return Refused("the certification's signature is not an ECDSA TPMT_SIGNATURE");
  }
  const EVP_MD* md = HashOf(sig.signature.ecdsa.hash);
  const TPM2B_ECC_PARAMETER& r = sig.signature.ecdsa.signatureR;
  const TPM2B_ECC_PARAMETER& s = sig.signature.ecdsa.signatureS;
  if (md == nullptr || r.size == 0 || s.size == 0 || r.size != s.size) {
    return Refused("the certification's signature has an unknown hash or a malformed r, s");
  }
  std::vector<uint8_t> raw(r.buffer, r.buffer + r.size);
  raw.insert(raw.end(), s.buffer, s.buffer + s.size);
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> der, EcdsaRawToDer(raw));
  ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
  if (!ctx ||
      ::EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, internal::Native(ak.key)) != 1 ||
      ::EVP_DigestVerify(ctx.get(), der.data(), der.size(), attest_bytes.data(),
                         attest_bytes.size()) != 1) {
    ossl::ClearErrors();
    return Refused("the certification's signature does not verify with the attestation key");
  }
  return OkStatus();
}

Result<Credential> MakeCredential(const PublicKey& ek, std::span<const uint8_t> ak_name,
                                  std::span<const uint8_t> secret) {
  if (secret.empty() || secret.size() > 32 || ak_name.empty() ||
      ak_name.size() > sizeof(TPMU_NAME)) {
    return Error(Code::kInvalidArgument, "MakeCredential: a secret of 1 to 32 bytes and a Name");
  }
  EVP_PKEY* ek_key = internal::Native(ek);
  if (!ek.IsRsa() || ek.Bits() != 2048) {
    return Error(Code::kUnimplemented,
                 "the endorsement key is " + ek.Description() + "; anchor takes RSA-2048 EKs");
  }
  // The seed, encrypted to the EK (Part 1 B.10.3): RSA-OAEP, SHA-256, label "IDENTITY\0".
  uint8_t seed[32];
  if (::RAND_bytes(seed, sizeof seed) != 1) {
    return ossl::OsslError("RAND_bytes");
  }
  ossl::Ptr<EVP_PKEY_CTX> pctx(::EVP_PKEY_CTX_new(ek_key, nullptr));
  void* label = ::OPENSSL_memdup("IDENTITY", 9);
  size_t encrypted_len = 0;
  TPM2B_ENCRYPTED_SECRET encrypted{};
  encrypted_len = sizeof encrypted.secret;
  if (!pctx || label == nullptr || ::EVP_PKEY_encrypt_init(pctx.get()) != 1 ||
      ::EVP_PKEY_CTX_set_rsa_padding(pctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      ::EVP_PKEY_CTX_set_rsa_oaep_md(pctx.get(), ::EVP_sha256()) != 1 ||
      ::EVP_PKEY_CTX_set0_rsa_oaep_label(pctx.get(), label, 9) != 1 ||
      ::EVP_PKEY_encrypt(pctx.get(), encrypted.secret, &encrypted_len, seed, sizeof seed) != 1) {
    return ossl::OsslError("RSA-OAEP to the endorsement key");
  }
  encrypted.size = static_cast<UINT16>(encrypted_len);
  // Part 1 24.4: symKey = KDFa(seed, "STORAGE", Name, 128); HMACkey = KDFa(seed, "INTEGRITY", 256).
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> sym_key, KdfA(seed, "STORAGE", ak_name, 16));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> hmac_key, KdfA(seed, "INTEGRITY", {}, 32));
  ::OPENSSL_cleanse(seed, sizeof seed);
  // encIdentity = AES-128-CFB(symKey, IV 0, TPM2B_DIGEST(secret)) (Part 1 24.4).
  TPM2B_DIGEST credential{};
  credential.size = static_cast<UINT16>(secret.size());
  std::memcpy(credential.buffer, secret.data(), secret.size());
  uint8_t plain[sizeof(TPM2B_DIGEST)];
  size_t plain_len = 0;
  if (::Tss2_MU_TPM2B_DIGEST_Marshal(&credential, plain, sizeof plain, &plain_len) !=
      TSS2_RC_SUCCESS) {
    return Error(Code::kInternal, "MakeCredential: cannot marshal the credential");
  }
  std::vector<uint8_t> enc_identity(plain_len);
  const uint8_t iv[16] = {0};
  ossl::Ptr<EVP_CIPHER_CTX> cipher(::EVP_CIPHER_CTX_new());
  int out_len = 0;
  int final_len = 0;
  if (!cipher ||
      ::EVP_EncryptInit_ex(cipher.get(), ::EVP_aes_128_cfb128(), nullptr, sym_key.data(), iv) !=
          1 ||
      ::EVP_EncryptUpdate(cipher.get(), enc_identity.data(), &out_len, plain,
                          static_cast<int>(plain_len)) != 1 ||
      ::EVP_EncryptFinal_ex(cipher.get(), enc_identity.data() + out_len, &final_len) != 1) {
    return ossl::OsslError("AES-128-CFB");
  }
  ::OPENSSL_cleanse(plain, sizeof plain);
  // outerHMAC = HMAC-SHA256(HMACkey, encIdentity || Name) (Part 1 24.5).
  std::vector<uint8_t> mac_input = enc_identity;
  mac_input.insert(mac_input.end(), ak_name.begin(), ak_name.end());
  uint8_t mac[32];
  size_t mac_len = 0;
  if (::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, hmac_key.data(), hmac_key.size(),
                  mac_input.data(), mac_input.size(), mac, sizeof mac, &mac_len) == nullptr) {
    return ossl::OsslError("HMAC-SHA256");
  }
  // TPM2B_ID_OBJECT's credential: TPM2B_DIGEST(outerHMAC) || encIdentity (Part 2 12.4.3).
  TPM2B_ID_OBJECT id{};
  std::vector<uint8_t> id_body = {0, static_cast<uint8_t>(mac_len)};
  id_body.insert(id_body.end(), mac, mac + mac_len);
  id_body.insert(id_body.end(), enc_identity.begin(), enc_identity.end());
  if (id_body.size() > sizeof id.credential) {
    return Error(Code::kInternal, "MakeCredential: the credential does not fit");
  }
  id.size = static_cast<UINT16>(id_body.size());
  std::memcpy(id.credential, id_body.data(), id_body.size());
  Credential out;
  out.id_object.resize(sizeof(TPM2B_ID_OBJECT));
  out.encrypted_secret.resize(sizeof(TPM2B_ENCRYPTED_SECRET));
  size_t id_len = 0;
  size_t secret_len = 0;
  if (::Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, out.id_object.data(), out.id_object.size(), &id_len) !=
          TSS2_RC_SUCCESS ||
      ::Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&encrypted, out.encrypted_secret.data(),
                                               out.encrypted_secret.size(),
                                               &secret_len) != TSS2_RC_SUCCESS) {
    return Error(Code::kInternal, "MakeCredential: cannot marshal its output");
  }
  out.id_object.resize(id_len);
  out.encrypted_secret.resize(secret_len);
  return out;
}

}  // namespace anchor::crypto
