// SPDX-License-Identifier: Apache-2.0
// File: tpm2_key.cc: keys in a TPM 2.0 through tpm2-openssl, loaded in a library context of its
// own, and handed to the rest of anchor as external keys (crypto/external_key.h).
//
// Why a separate OSSL_LIB_CTX: besides its keys, the tpm2 provider offers SHA-1/2 digests, AES
// and Camellia ciphers and a DRBG, each of which holds a TPM object while in use. Loaded into
// the default context, a TLS handshake then hashes in the TPM, and on a TPM without a resource
// manager (swtpm; 3 transient object slots) it runs out of object memory (TPM_RC_OBJECT_MEMORY)
// whatever the property query. In a context of its own the provider serves only what anchor asks
// of it here: make a key, encode and decode its blob, sign a digest. docs/ARCHITECTURE.md,
// "Device keys in a TPM".
#include "crypto/tpm2_key.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "crypto/external_key.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

constexpr std::string_view kTss2PemLabel = "-----BEGIN TSS2 PRIVATE KEY-----";
// kProvider is the provider's name (ossl-modules/tpm2.so) and the property query that keeps
// every fetch in the TPM's context on it.
constexpr const char* kProvider = "tpm2";
constexpr const char* kOnProvider = "provider=tpm2";
// kReloadPause bounds how often a signer whose TPM is gone opens it again.
constexpr auto kReloadPause = std::chrono::milliseconds(250);

std::mutex& SettingsMutex() {
  static std::mutex mu;
  return mu;
}
std::string& ProcessTcti() {
  static std::string tcti;
  return tcti;
}

struct EncoderFree {
  void operator()(OSSL_ENCODER_CTX* c) const noexcept { ::OSSL_ENCODER_CTX_free(c); }
};
struct DecoderFree {
  void operator()(OSSL_DECODER_CTX* c) const noexcept { ::OSSL_DECODER_CTX_free(c); }
};

// Drained is the OpenSSL queue taken off: the first (deepest) reason, and whether the DSO
// library failed (a provider module that is not installed).
struct Drained {
  std::string reason;
  bool dso_failed = false;
};

Drained Drain() {
  Drained out;
  const char* data = nullptr;
  int flags = 0;
  for (unsigned long e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags); e != 0;
       e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    out.dso_failed = out.dso_failed || ERR_GET_LIB(e) == ERR_LIB_DSO;
    if (!out.reason.empty()) {
      continue;
    }
    // The provider's reasons have no text registered with libcrypto; its data line says it
    // (e.g. "655370 tcti:IO failure": a TSS2_RC and its text).
    const char* text = ::ERR_reason_error_string(e);
    const bool has_data = data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0';
    if (text != nullptr) {
      out.reason = has_data ? std::string(text) + " (" + data + ")" : std::string(text);
    } else {
      out.reason = has_data ? std::string(data) : "error " + std::to_string(ERR_GET_REASON(e));
    }
  }
  return out;
}

// TpmError drains the OpenSSL queue into one line: `what`, the reason the provider gave, and
// `hint`, what to do.
Error TpmError(Code code, const std::string& what, const std::string& hint) {
  const std::string reason = Drain().reason;
  return Error(code,
               what + (reason.empty() ? "" : ": " + reason) + (hint.empty() ? "" : "; " + hint));
}

// Tpm is one TPM as the process reaches it: the tpm2 and base providers in a library context of
// their own, over one TCTI connection (tpm2-openssl keeps one ESYS context per provider). The
// provider's ESYS context is not safe for concurrent use, so every call into this context, the
// freeing of its keys included, holds `calls`. Shared by the keys of the TPM; the last one gone
// unloads the provider, which closes the connection.
class Tpm final {
 public:
  ~Tpm() {
    std::lock_guard lock(calls_);
    ::OSSL_PROVIDER_unload(base_);
    ::OSSL_PROVIDER_unload(tpm2_);
    ::OSSL_LIB_CTX_free(libctx_);
  }
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  // Current is the TPM of the current TCTI setting (For).
  static Result<std::shared_ptr<Tpm>> Current() {
    std::lock_guard lock(SettingsMutex());
    const std::string tcti = ProcessTcti();
    return For(tcti);
  }

  // For is the TPM at `tcti` as this process has it open, or opened now. Never a second
  // connection while one is open: a TPM without a resource manager serves one at a time
  // (swtpm leaves a second waiting, /dev/tpm0 refuses it).
  static Result<std::shared_ptr<Tpm>> For(const std::string& tcti) {
    std::lock_guard lock(CacheMutex());
    if (auto tpm = Cache()[tcti].lock()) {
      return tpm;
    }
    ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<Tpm> tpm, Open(tcti));
    Cache()[tcti] = tpm;
    return tpm;
  }

  const std::string& tcti() const { return tcti_; }
  OSSL_LIB_CTX* libctx() const { return libctx_; }
  std::mutex& calls() const { return calls_; }
  std::string Describe() const {
    return tcti_.empty() ? "the TPM (tpm2-tss's default TCTI)" : "the TPM at " + tcti_;
  }

 private:
  static std::mutex& CacheMutex() {
    static std::mutex mu;
    return mu;
  }
  static std::map<std::string, std::weak_ptr<Tpm>>& Cache() {
    static std::map<std::string, std::weak_ptr<Tpm>> open;
    return open;
  }

  Tpm(std::string tcti, OSSL_LIB_CTX* libctx, OSSL_PROVIDER* tpm2, OSSL_PROVIDER* base)
      : tcti_(std::move(tcti)), libctx_(libctx), tpm2_(tpm2), base_(base) {}

  static Result<std::shared_ptr<Tpm>> Open(const std::string& tcti) {
    OSSL_LIB_CTX* libctx = ::OSSL_LIB_CTX_new();
    if (libctx == nullptr) {
      return ossl::OsslError("OSSL_LIB_CTX_new");
    }
    OSSL_PROVIDER* tpm2 = nullptr;
    {
      // tpm2-openssl 1.1.1 reads its TCTI from $TPM2OPENSSL_TCTI when it starts, and nowhere
      // else that works (its "tcti" configuration parameter is read into a null pointer), so
      // the setting goes through the environment, only while the provider starts.
      static std::mutex env_mu;
      std::lock_guard lock(env_mu);
      const char* before = std::getenv("TPM2OPENSSL_TCTI");
      const std::string saved = before != nullptr ? before : "";
      if (!tcti.empty()) {
        ::setenv("TPM2OPENSSL_TCTI", tcti.c_str(), 1);
      }
      // tpm2-tss logs each failed TCTI it tries on stderr; anchor says what failed in one line.
      // A user's own TSS2_LOG is left as it is.
      ::setenv("TSS2_LOG", "all+NONE", 0);
      tpm2 = ::OSSL_PROVIDER_load(libctx, kProvider);
      if (before != nullptr) {
        ::setenv("TPM2OPENSSL_TCTI", saved.c_str(), 1);
      } else {
        ::unsetenv("TPM2OPENSSL_TCTI");
      }
    }
    const std::string where =
        tcti.empty() ? "the TPM (tpm2-tss's default TCTI)" : "the TPM at " + tcti;
    if (tpm2 == nullptr) {
      ::OSSL_LIB_CTX_free(libctx);
      const Drained why = Drain();
      if (why.dso_failed) {
        return Error(Code::kFailedPrecondition,
                     "OpenSSL's tpm2 provider (ossl-modules/tpm2.so) cannot be loaded: " +
                         why.reason + "; install tpm2-openssl");
      }
      if (why.reason.find("not supported") != std::string::npos ||
          why.reason.find("bad value") != std::string::npos) {
        // A TCTI string tpm2-tss cannot use at all: no retry will help.
        return Error(Code::kInvalidArgument,
                     "the TCTI '" + tcti + "' is not one tpm2-tss can use (" + why.reason +
                         "); write device:/dev/tpmrm0 or swtpm:host=HOST,port=PORT");
      }
      return Error(Code::kUnavailable, "cannot reach " + where +
                                           (why.reason.empty() ? "" : ": " + why.reason) +
                                           "; check the TCTI (--tpm) and that the TPM is there");
    }
    // The base provider decodes PEM and encodes what the tpm2 provider does not.
    OSSL_PROVIDER* base = ::OSSL_PROVIDER_load(libctx, "base");
    if (base == nullptr) {
      ::OSSL_PROVIDER_unload(tpm2);
      ::OSSL_LIB_CTX_free(libctx);
      return ossl::OsslError("OSSL_PROVIDER_load(base)");
    }
    return std::shared_ptr<Tpm>(new Tpm(tcti, libctx, tpm2, base));
  }

  std::string tcti_;
  OSSL_LIB_CTX* libctx_;
  OSSL_PROVIDER* tpm2_;
  OSSL_PROVIDER* base_;
  mutable std::mutex calls_;
};

// DigestName is the hash a digest of `size` bytes was made with, which the TPM's signing scheme
// names (TPM2_Sign takes the digest and the scheme's hash, TPM 2.0 Part 3, 20.2).
const char* DigestName(size_t size) {
  switch (size) {
    case 32:
      return "SHA256";
    case 48:
      return "SHA384";
    case 64:
      return "SHA512";
    default:
      return nullptr;
  }
}

// Decode loads a TSS2 PRIVATE KEY into `tpm` (its calls() held by the caller): the provider
// re-creates the parent from the TPM's seed, loads the key under it and flushes the parent.
Result<EVP_PKEY*> Decode(const Tpm& tpm, std::string_view pem) {
  EVP_PKEY* key = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, DecoderFree> dec(::OSSL_DECODER_CTX_new_for_pkey(
      &key, "PEM", nullptr, nullptr, EVP_PKEY_KEYPAIR, tpm.libctx(), kOnProvider));
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t len = pem.size();
  if (!dec || ::OSSL_DECODER_from_data(dec.get(), &data, &len) != 1 || key == nullptr) {
    ::EVP_PKEY_free(key);
    const std::string reason = Drain().reason;
    const std::string what =
        "cannot load the TSS2 key into " + tpm.Describe() + (reason.empty() ? "" : ": " + reason);
    if (reason.find("lockout") != std::string::npos) {
      // TPM 2.0 Part 1 19.8.6: after failed authorisations, or unorderly shutdowns while a key
      // without noDA was in use, the TPM refuses such keys until its recovery time has passed.
      return Error(Code::kUnavailable,
                   what +
                       "; the TPM's dictionary-attack lockout is on: it lifts by itself after "
                       "its recovery time (tpm2_getcap properties-variable), or clear it with "
                       "the lockout authorisation (tpm2_dictionarylockout --clear-lockout)");
    }
    if (reason.find("tpm:warn") != std::string::npos) {
      // A TPM warning (TPM_RC_WARN: out of object slots, busy, retry) passes: try again later.
      return Error(Code::kUnavailable,
                   what +
                       "; the TPM is busy or has no free object slot (another program holds "
                       "them); anchor tries again later");
    }
    return Error(Code::kInvalidArgument, what + "; the key is damaged or was made by another TPM");
  }
  return key;
}

// Tpm2Signer signs with one key loaded in the TPM, which it holds until it is destroyed. After a
// failed signature (the TPM gone, its connection lost) it lets go of the key and of its hold on
// the connection, and loads the key again from its blob, over the process's connection to that
// TPM or, once no key holds the old one, a new connection; at most once every kReloadPause. A
// TPM that comes back (swtpm or a resource manager restarted) is taken up without a restart, as
// the PKCS#11 signer does with a token.
class Tpm2Signer final : public KeySigner {
 public:
  Tpm2Signer(std::shared_ptr<Tpm> tpm, EVP_PKEY* key, std::string pem)
      : tcti_(tpm->tcti()),
        tpm_(std::move(tpm)),
        key_(key),
        pem_(std::move(pem)),
        describe_("the key in " + tpm_->Describe()) {}
  ~Tpm2Signer() override { Release(); }

  Result<std::vector<uint8_t>> SignDigest(std::span<const uint8_t> digest) const override {
    const char* hash = DigestName(digest.size());
    if (hash == nullptr) {
      return Error(Code::kInvalidArgument, "a TPM key signs SHA-256, -384 or -512 digests, not " +
                                               std::to_string(digest.size()) + " bytes");
    }
    std::lock_guard lock(mu_);
    Result<std::vector<uint8_t>> sig =
        Error(Code::kUnavailable, describe_ +
                                      " cannot sign: the TPM was lost and could not be "
                                      "opened again; check that it is there");
    if (key_ != nullptr) {
      sig = SignOnce(digest, hash);
    }
    const auto now = std::chrono::steady_clock::now();
    if (sig || now - last_reload_ < kReloadPause) {
      return sig;
    }
    last_reload_ = now;
    Release();
    if (!Reload()) {
      return sig;  // the first failure says what is wrong with the TPM
    }
    return SignOnce(digest, hash);
  }

  std::string Describe() const override { return describe_; }
  // The TSS2 PRIVATE KEY the TPM sealed: only this TPM can load it.
  Result<std::string> KeyFileText() const override { return pem_; }

  const std::string& pem() const { return pem_; }

 private:
  // SignOnce signs `digest` with the key as loaded now (mu_ held, key_ set).
  Result<std::vector<uint8_t>> SignOnce(std::span<const uint8_t> digest, const char* hash) const {
    std::lock_guard lock(tpm_->calls());
    ossl::Ptr<EVP_PKEY_CTX> ctx(::EVP_PKEY_CTX_new_from_pkey(tpm_->libctx(), key_, kOnProvider));
    OSSL_PARAM params[] = {
        ::OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, const_cast<char*>(hash), 0),
        ::OSSL_PARAM_construct_end()};
    size_t len = 0;
    if (!ctx || ::EVP_PKEY_sign_init_ex(ctx.get(), params) != 1 ||
        ::EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
      return TpmError(Code::kUnavailable, describe_ + " cannot sign",
                      "check that the TPM is there");
    }
    std::vector<uint8_t> sig(len);
    if (::EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) {
      return TpmError(Code::kUnavailable, describe_ + " cannot sign",
                      "check that the TPM is there");
    }
    sig.resize(len);
    return sig;  // tpm2-openssl encodes the TPMS_SIGNATURE_ECDSA as ECDSA-Sig-Value DER
  }

  // Reload loads the key from its blob into the TPM (mu_ held, nothing loaded); false when the
  // TPM cannot be reached or refuses it, the signer then holding nothing until the next try.
  bool Reload() const {
    auto tpm = Tpm::For(tcti_);
    if (!tpm) {
      return false;
    }
    Result<EVP_PKEY*> key = Error(Code::kInternal, "");
    {
      std::lock_guard lock((*tpm)->calls());
      key = Decode(**tpm, pem_);
    }
    if (!key) {
      return false;
    }
    tpm_ = std::move(tpm).value();
    key_ = *key;
    return true;
  }

  // Release frees the key (flushing its transient object from the TPM if it is still there) and
  // lets go of the connection, which closes when no other key holds it.
  void Release() const {
    if (tpm_ == nullptr) {
      return;
    }
    {
      std::lock_guard lock(tpm_->calls());
      ::EVP_PKEY_free(key_);
      key_ = nullptr;
    }
    tpm_.reset();  // ~Tpm takes calls() itself
  }

  const std::string tcti_;
  mutable std::mutex mu_;  // one signature or reload at a time; taken before tpm_->calls()
  mutable std::shared_ptr<Tpm> tpm_;  // null after a failed reload
  mutable EVP_PKEY* key_;             // in tpm_'s library context; freed with tpm_->calls() held
  const std::string pem_;
  const std::string describe_;
  mutable std::chrono::steady_clock::time_point last_reload_{};
};

// PublicOf reads the public half of a provider key into the default context (calls() held).
Result<PublicKey> PublicOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = ::i2d_PUBKEY(key, &der);
  if (len <= 0) {
    return ossl::OsslError("the TPM key's public half");
  }
  auto pub = PublicKey::FromDer(std::span<const uint8_t>(der, static_cast<size_t>(len)));
  ::OPENSSL_free(der);
  return pub;
}

}  // namespace

void SetTpm2Tcti(std::string_view tcti) {
  std::lock_guard lock(SettingsMutex());
  ProcessTcti().assign(tcti);
}

std::string Tpm2Tcti() {
  std::lock_guard lock(SettingsMutex());
  return ProcessTcti();
}

bool IsTpm2KeyPem(std::string_view pem) {
  const size_t start = pem.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && pem.substr(start).starts_with(kTss2PemLabel);
}

namespace {

// Adopt hands `key` (a provider key of `tpm`) to a Tpm2Signer and makes its external key. The
// caller no longer holds calls(): the signer takes it to free the key, also when this fails.
Result<PrivateKey> Adopt(std::shared_ptr<Tpm> tpm, EVP_PKEY* key, std::string pem,
                         const PublicKey& pub) {
  auto signer = std::make_shared<const Tpm2Signer>(std::move(tpm), key, std::move(pem));
  return MakeExternalKey(pub, std::move(signer));
}

}  // namespace

Result<PrivateKey> GenerateTpm2Key(KeyType type) {
  if (type != KeyType::kEcP256 && type != KeyType::kEcP384) {
    return Error(Code::kUnimplemented, "anchor makes ec-p256 or ec-p384 keys in a TPM, not " +
                                           std::string(KeyTypeName(type)));
  }
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<Tpm> tpm, Tpm::Current());
  EVP_PKEY* key = nullptr;
  std::string pem;
  Result<PublicKey> pub = Error(Code::kInternal, "");
  {
    std::lock_guard lock(tpm->calls());
    ossl::Ptr<EVP_PKEY_CTX> gen(::EVP_PKEY_CTX_new_from_name(tpm->libctx(), "EC", kOnProvider));
    char* group = const_cast<char*>(type == KeyType::kEcP256 ? "P-256" : "P-384");
    OSSL_PARAM params[] = {::OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                           ::OSSL_PARAM_construct_end()};
    if (!gen || ::EVP_PKEY_keygen_init(gen.get()) != 1 ||
        ::EVP_PKEY_CTX_set_params(gen.get(), params) != 1 ||
        ::EVP_PKEY_generate(gen.get(), &key) != 1) {
      return TpmError(
          Code::kUnavailable,
          "cannot make a " + std::string(KeyTypeName(type)) + " key in " + tpm->Describe(),
          "check that the TPM is there and has a free object slot");
    }
    std::unique_ptr<OSSL_ENCODER_CTX, EncoderFree> enc(
        ::OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "PEM", nullptr, kOnProvider));
    unsigned char* data = nullptr;
    size_t len = 0;
    if (!enc || ::OSSL_ENCODER_CTX_get_num_encoders(enc.get()) == 0 ||
        ::OSSL_ENCODER_to_data(enc.get(), &data, &len) != 1) {
      ::EVP_PKEY_free(key);
      return ossl::OsslError("encoding the TPM key as TSS2 PEM");
    }
    pem.assign(reinterpret_cast<const char*>(data), len);
    ::OPENSSL_free(data);
    pub = PublicOf(key);
    if (!pub) {
      ::EVP_PKEY_free(key);
      return pub.error();
    }
  }
  return Adopt(std::move(tpm), key, std::move(pem), *pub);
}

Result<PrivateKey> LoadTpm2Key(std::string_view pem) {
  if (!IsTpm2KeyPem(pem)) {
    return Error(Code::kInvalidArgument, "not a TSS2 PRIVATE KEY (a key in a TPM)");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<Tpm> tpm, Tpm::Current());
  EVP_PKEY* key = nullptr;
  Result<PublicKey> pub = Error(Code::kInternal, "");
  {
    std::lock_guard lock(tpm->calls());
    ANCHOR_ASSIGN_OR_RETURN(key, Decode(*tpm, pem));
    pub = PublicOf(key);
    if (!pub) {
      ::EVP_PKEY_free(key);
      return pub.error();
    }
  }
  return Adopt(std::move(tpm), key, std::string(pem), *pub);
}

std::optional<std::string> Tpm2KeyPem(const PrivateKey& key) {
  const auto* signer = dynamic_cast<const Tpm2Signer*>(ExternalSigner(key));
  if (signer == nullptr) {
    return std::nullopt;
  }
  return signer->pem();
}

}  // namespace anchor::crypto
