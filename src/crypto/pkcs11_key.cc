// SPDX-License-Identifier: Apache-2.0
// File: pkcs11_key.cc: keys in PKCS#11 tokens: p11-kit parses the URI (RFC 7512) and loads the
// module; sessions, login, key generation and C_Sign are PKCS#11 3.0 calls through the module's
// function list; the key reaches OpenSSL as an external key (crypto/external_key.h).
//
// Why not libp11's engine, which Debian 12's OpenSSL 3.0 offers: after a token outage the
// engine's keys stay dead until the process restarts (its functional reference keeps the module
// initialised), libp11 0.4.12 cannot generate EC keys, and a key object of libp11 points into its
// context, so the context cannot be rebuilt under a running CA. docs/ARCHITECTURE.md, "Keys in
// hardware", has the measurements and the move to a PKCS#11 provider on a newer OpenSSL.
#include "crypto/pkcs11_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "core/file_io.h"
#include "core/text.h"
#include "crypto/external_key.h"
#include "crypto/internal/handles.h"
#include "crypto/ossl_error.h"

namespace anchor::crypto {
namespace {

constexpr std::string_view kScheme = "pkcs11:";
// kDefaultModule is p11-kit's proxy, which offers every module the system registered (the path
// comes from p11-kit-1.pc at build time).
constexpr const char* kDefaultModule = ANCHOR_P11KIT_PROXY;
// kReloadPause bounds how often a token that is gone is looked for again.
constexpr auto kReloadPause = std::chrono::milliseconds(250);

struct UriFree {
  void operator()(P11KitUri* uri) const noexcept { ::p11_kit_uri_free(uri); }
};
using UriPtr = std::unique_ptr<P11KitUri, UriFree>;

std::string RvText(CK_RV rv) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(rv));
  return std::string(::p11_kit_strerror(rv)) + " (CKR " + hex + ")";
}

// TrimRight drops the spaces (and the newline of a file) after a value.
std::string_view TrimRight(std::string_view s) {
  const size_t end = s.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

// Padded reads a fixed-size PKCS#11 text field, which is padded with blanks (PKCS#11 3.0 3.2);
// p11-kit leaves the fields a URI does not set zero-filled.
std::string Padded(const CK_UTF8CHAR* field, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(field), size);
  s = s.substr(0, s.find('\0'));
  return std::string(TrimRight(s));
}

std::mutex& PinMutex() {
  static std::mutex mu;
  return mu;
}
SecretBytes& ProcessPin() {
  static SecretBytes pin;
  return pin;
}

// Pin is the PIN to log in with and where it came from, for messages.
struct Pin {
  SecretBytes value;
  std::string source;  // "the pin-source file F", or "--pin-file or ANCHOR_PKCS11_PIN"
};

// ResolvePin is the PIN to log in with: the URI's pin-source file (RFC 7512 2.3: it belongs to
// this key, so it wins), else the process's (--pin-file, ANCHOR_PKCS11_PIN), else none.
Result<std::optional<Pin>> ResolvePin(const Pkcs11KeyUri& uri) {
  if (!uri.pin_source.empty()) {
    std::string path = uri.pin_source;
    if (path.starts_with("file:")) {
      path = path.substr(5);
    }
    auto value = ReadSecretLine(path, 4096);  // a PIN is a line, not a file's worth
    if (!value) {
      return value.error().Prefixed("the pin-source of " + uri.Describe());
    }
    Pin pin{std::move(value).value(), "the pin-source file " + path};
    if (pin.value.empty()) {
      // Not sent: an empty PIN is a wrong one, and each counts against the token.
      return Error(Code::kInvalidArgument,
                   path + ": the first line of the pin-source of " + uri.Describe() + " is empty");
    }
    return std::optional<Pin>(std::move(pin));
  }
  std::lock_guard lock(PinMutex());
  if (ProcessPin().empty()) {
    return std::optional<Pin>();
  }
  const SecretBytes& process = ProcessPin();
  return std::optional<Pin>(Pin{SecretBytes(std::string_view(process.data(), process.size())),
                                "--pin-file or ANCHOR_PKCS11_PIN"});
}

// Module is one loaded PKCS#11 module, shared by every key of the process that lives in it
// (C_Initialize is once per process and module). Calls take `calls` shared; Reload takes it
// alone, so no call runs while the module is finalised and initialised again.
class Module final {
 public:
  ~Module() {
    functions_->C_Finalize(nullptr);
    ::p11_kit_module_release(functions_);
  }

  static Result<std::shared_ptr<Module>> Get(const std::string& path) {
    static std::mutex mu;
    static std::map<std::string, std::weak_ptr<Module>> loaded;
    std::lock_guard lock(mu);
    if (auto m = loaded[path].lock()) {
      return m;
    }
    CK_FUNCTION_LIST* f = ::p11_kit_module_load(path.c_str(), P11_KIT_MODULE_UNMANAGED);
    if (f == nullptr) {
      const char* why = ::p11_kit_message();
      if (path == kDefaultModule) {
        return Error(Code::kInvalidArgument,
                     "the PKCS#11 URI has no module-path, and p11-kit's proxy cannot be used (" +
                         std::string(why != nullptr ? why : "unknown error") +
                         "); add ?module-path=/path/to/the/token's/module.so");
      }
      return Error(Code::kInvalidArgument,
                   "cannot load the PKCS#11 module " + path + ": " +
                       (why != nullptr ? why : "unknown error") +
                       "; give the token's module as module-path= in the URI");
    }
    auto m = std::shared_ptr<Module>(new Module(f, path));
    if (CK_RV rv = m->Initialize(); rv != CKR_OK) {
      // A module that cannot start is most often one that cannot read its own files.
      return Error(Code::kUnavailable,
                   "cannot initialise the PKCS#11 module " + path + ": " + RvText(rv) +
                       "; can this user (" + std::to_string(::geteuid()) +
                       ") read and write the token's files? (SoftHSM2: the tokendir that "
                       "SOFTHSM2_CONF names)");
    }
    loaded[path] = m;
    return m;
  }

  CK_FUNCTION_LIST* f() const { return functions_; }
  const std::string& path() const { return path_; }
  std::shared_mutex& calls() { return calls_; }
  uint64_t epoch() const { return epoch_; }  // read under calls() held
  // Down is why the module is not initialised (its last reload failed), or empty (calls() held).
  const std::string& down() const { return down_; }

  // Reload finalises and initialises the module again, unless someone did since `seen` or the
  // last attempt was less than kReloadPause ago. Whether to retry is the caller's: it compares
  // epochs.
  void Reload(uint64_t seen) {
    std::unique_lock lock(calls_);
    const auto now = std::chrono::steady_clock::now();
    if (epoch_ != seen || now - last_reload_ < kReloadPause) {
      return;
    }
    last_reload_ = now;
    functions_->C_Finalize(nullptr);
    if (CK_RV rv = Initialize(); rv != CKR_OK) {
      down_ = "its module " + path_ + " does not start: " + RvText(rv);
      return;
    }
    down_.clear();
    ++epoch_;  // every session and handle of the old epoch is gone
  }

 private:
  Module(CK_FUNCTION_LIST* f, std::string path) : functions_(f), path_(std::move(path)) {}

  CK_RV Initialize() {
    // PKCS#11 3.0 5.4: OS locking, since a CA signs from many threads.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = functions_->C_Initialize(&args);
    return rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? CKR_OK : rv;
  }

  CK_FUNCTION_LIST* functions_;
  std::string path_;
  std::shared_mutex calls_;
  uint64_t epoch_ = 1;
  std::chrono::steady_clock::time_point last_reload_{};
  std::string down_;
};

// Token is a logged-in slot of a module, for one key's URI. Its functions are called with the
// module's calls() held shared.
class Token final {
 public:
  Token(std::shared_ptr<Module> module, Pkcs11KeyUri uri)
      : module_(std::move(module)), uri_(std::move(uri)) {}

  const Pkcs11KeyUri& uri() const { return uri_; }
  Module& module() const { return *module_; }

  // Connect finds the slot, opens a session and logs in.
  Result<CK_SESSION_HANDLE> Connect(bool read_write) {
    ANCHOR_ASSIGN_OR_RETURN(slot_, FindSlot());
    CK_FLAGS flags = CKF_SERIAL_SESSION | (read_write ? CKF_RW_SESSION : 0);
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    if (CK_RV rv = f()->C_OpenSession(slot_, flags, nullptr, nullptr, &session); rv != CKR_OK) {
      return Error(Code::kUnavailable, "cannot open a session on " + Where() + ": " + RvText(rv));
    }
    if (Status s = Login(session); !s) {
      f()->C_CloseSession(session);
      return s.error();
    }
    return session;
  }

  Result<CK_SESSION_HANDLE> OpenSession() const {
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    if (CK_RV rv = f()->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &session);
        rv != CKR_OK) {
      return Error(Code::kUnavailable, "cannot open a session on " + Where() + ": " + RvText(rv));
    }
    return session;
  }

  // Find lists the objects of `cls` matching the URI's object label and id (either may be
  // empty: then it is not a condition, unless `label` and `id` are given to override).
  // Find lists the objects of class `cls` (any class when nullopt) with the label and id (each
  // no condition when empty).
  Result<std::vector<CK_OBJECT_HANDLE>> Find(CK_SESSION_HANDLE session,
                                             std::optional<CK_OBJECT_CLASS> cls,
                                             const std::string& label,
                                             const std::vector<uint8_t>& id) const {
    std::vector<CK_ATTRIBUTE> tmpl;
    if (cls) {
      tmpl.push_back({CKA_CLASS, &*cls, sizeof *cls});
    }
    if (!label.empty()) {
      tmpl.push_back({CKA_LABEL, const_cast<char*>(label.data()), label.size()});
    }
    if (!id.empty()) {
      tmpl.push_back({CKA_ID, const_cast<uint8_t*>(id.data()), id.size()});
    }
    if (CK_RV rv = f()->C_FindObjectsInit(session, tmpl.data(), tmpl.size()); rv != CKR_OK) {
      return Error(Code::kUnavailable, "cannot search " + Where() + ": " + RvText(rv));
    }
    std::vector<CK_OBJECT_HANDLE> found;
    CK_OBJECT_HANDLE batch[16];
    CK_ULONG n = 0;
    CK_RV rv = CKR_OK;
    while ((rv = f()->C_FindObjects(session, batch, 16, &n)) == CKR_OK && n > 0) {
      found.insert(found.end(), batch, batch + n);
    }
    f()->C_FindObjectsFinal(session);
    if (rv != CKR_OK) {
      return Error(Code::kUnavailable, "cannot search " + Where() + ": " + RvText(rv));
    }
    return found;
  }

  // FindPrivateKey is the one private key the URI names.
  Result<CK_OBJECT_HANDLE> FindPrivateKey(CK_SESSION_HANDLE session) const {
    ANCHOR_ASSIGN_OR_RETURN(auto keys, Find(session, CKO_PRIVATE_KEY, uri_.object, uri_.id));
    if (keys.empty()) {
      return Error(Code::kNotFound, uri_.Describe() + " does not exist (no private key with that " +
                                        "label and id); list the token's keys with pkcs11-tool "
                                        "--list-objects");
    }
    if (keys.size() > 1) {
      return Error(Code::kInvalidArgument, uri_.Describe() + " matches " +
                                               std::to_string(keys.size()) +
                                               " private keys; name one with id= in the URI");
    }
    return keys.front();
  }

  // PublicKeyOf reads the EC public key object beside the private key (same label and id).
  Result<PublicKey> ReadPublicKey(CK_SESSION_HANDLE session) const;

  CK_FUNCTION_LIST* f() const { return module_->f(); }
  std::string Where() const { return uri_.Describe(); }

 private:
  Result<CK_SLOT_ID> FindSlot() const {
    CK_ULONG n = 0;
    if (CK_RV rv = f()->C_GetSlotList(CK_TRUE, nullptr, &n); rv != CKR_OK) {
      return Error(Code::kUnavailable,
                   "cannot list the slots of " + module_->path() + ": " + RvText(rv));
    }
    std::vector<CK_SLOT_ID> slots(n);
    if (CK_RV rv = f()->C_GetSlotList(CK_TRUE, slots.data(), &n); rv != CKR_OK) {
      return Error(Code::kUnavailable,
                   "cannot list the slots of " + module_->path() + ": " + RvText(rv));
    }
    slots.resize(n);
    std::vector<std::string> labels;
    std::vector<std::pair<CK_SLOT_ID, CK_FLAGS>> matches;
    for (CK_SLOT_ID slot : slots) {
      CK_TOKEN_INFO info{};
      if (f()->C_GetTokenInfo(slot, &info) != CKR_OK) {
        continue;
      }
      // RFC 7512 2.3: "token" is the CK_TOKEN_INFO label, "serial" its serialNumber.
      const std::string label = Padded(info.label, sizeof info.label);
      const std::string serial = Padded(info.serialNumber, sizeof info.serialNumber);
      if ((uri_.token.empty() || uri_.token == label) &&
          (uri_.serial.empty() || uri_.serial == serial)) {
        matches.emplace_back(slot, info.flags);
      }
      if ((info.flags & CKF_TOKEN_INITIALIZED) != 0) {
        labels.push_back("'" + label + "' (serial " + serial + ")");
      }
    }
    if (matches.size() == 1) {
      token_flags_ = matches.front().second;
      return matches.front().first;
    }
    if (matches.size() > 1) {
      return Error(Code::kInvalidArgument, std::to_string(matches.size()) + " tokens in " +
                                               module_->path() + " match " + Where() + " (" +
                                               Join(labels, ", ") +
                                               "); add serial= to the URI to name one");
    }
    const std::string wanted =
        !uri_.token.empty() ? "'" + uri_.token + "'" : "serial " + uri_.serial;
    return Error(Code::kNotFound,
                 "no PKCS#11 token " + wanted + " in " + module_->path() +
                     " (tokens present: " + (labels.empty() ? "none" : Join(labels, ", ")) + ")");
  }

  Status Login(CK_SESSION_HANDLE session) const {
    if ((token_flags_ & CKF_LOGIN_REQUIRED) == 0) {
      return OkStatus();
    }
    ANCHOR_ASSIGN_OR_RETURN(std::optional<Pin> pin, ResolvePin(uri_));
    if (!pin) {
      return Error(Code::kFailedPrecondition,
                   Where() + " needs its user PIN: give --pin-file FILE or set ANCHOR_PKCS11_PIN");
    }
    const std::string_view value(pin->value.data(), pin->value.size());  // wiped with pin
    const bool blank_around =
        !value.empty() && (std::isspace(static_cast<unsigned char>(value.front())) ||
                           std::isspace(static_cast<unsigned char>(value.back())));
    // C_Login takes a non-const pointer but only reads the PIN (PKCS#11 3.0 5.6).
    CK_RV rv =
        f()->C_Login(session, CKU_USER,
                     reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(value.data())), value.size());
    switch (rv) {
      case CKR_OK:
      case CKR_USER_ALREADY_LOGGED_IN:  // PKCS#11 logins are per token, not per session
        return OkStatus();
      case CKR_PIN_INCORRECT:
        return Error(Code::kUnauthenticated,
                     "the PIN of " + Where() + " is wrong (CKR_PIN_INCORRECT); check " +
                         pin->source +
                         (blank_around ? " (the PIN read has blanks around it, which count)" : ""));
      case CKR_PIN_LOCKED:
        return Error(Code::kPermissionDenied,
                     "the PIN of " + Where() + " is locked; its security officer must unlock it");
      default:
        return Error(Code::kUnavailable, "cannot log in to " + Where() + ": " + RvText(rv));
    }
  }

  std::shared_ptr<Module> module_;
  Pkcs11KeyUri uri_;
  CK_SLOT_ID slot_ = 0;
  mutable CK_FLAGS token_flags_ = 0;
};

Result<std::vector<uint8_t>> Attribute(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE session,
                                       CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  if (CK_RV rv = f->C_GetAttributeValue(session, object, &a, 1); rv != CKR_OK) {
    return Error(Code::kUnavailable, "cannot read a key attribute: " + RvText(rv));
  }
  std::vector<uint8_t> value(a.ulValueLen);
  a.pValue = value.data();
  if (CK_RV rv = f->C_GetAttributeValue(session, object, &a, 1); rv != CKR_OK) {
    return Error(Code::kUnavailable, "cannot read a key attribute: " + RvText(rv));
  }
  value.resize(a.ulValueLen);
  return value;
}

// EcPublicKey builds the key from CKA_EC_PARAMS (the DER OID of a named curve) and CKA_EC_POINT
// (PKCS#11 3.0 2.3.3: the DER OCTET STRING of the X9.62 point; some tokens give it bare).
Result<PublicKey> EcPublicKey(std::span<const uint8_t> params, std::span<const uint8_t> point) {
  const unsigned char* p = params.data();
  ossl::Ptr<ASN1_OBJECT> oid(::d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(params.size())));
  const char* group = oid ? ::OBJ_nid2sn(::OBJ_obj2nid(oid.get())) : nullptr;
  if (group == nullptr) {
    ossl::ClearErrors();
    return Error(Code::kUnimplemented, "the token's key is not on a named curve anchor knows");
  }
  std::vector<uint8_t> raw(point.begin(), point.end());
  p = point.data();
  ossl::Ptr<ASN1_STRING> wrapped(
      ::d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(point.size())));
  if (wrapped && p == point.data() + point.size()) {
    raw.assign(::ASN1_STRING_get0_data(wrapped.get()),
               ::ASN1_STRING_get0_data(wrapped.get()) + ::ASN1_STRING_length(wrapped.get()));
  }
  ossl::ClearErrors();
  OSSL_PARAM_BLD* bld = ::OSSL_PARAM_BLD_new();
  ::OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  ::OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw.data(), raw.size());
  OSSL_PARAM* params_list = ::OSSL_PARAM_BLD_to_param(bld);
  ::OSSL_PARAM_BLD_free(bld);
  ossl::Ptr<EVP_PKEY_CTX> ctx(::EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  const bool ok = params_list != nullptr && ctx && ::EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                  ::EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params_list) == 1;
  ::OSSL_PARAM_free(params_list);
  if (!ok) {
    return ossl::OsslError("the token's EC public key", Code::kUnimplemented);
  }
  ossl::Ptr<EVP_PKEY> owned(key);
  return internal::BorrowPublicKey(key);
}

Result<PublicKey> Token::ReadPublicKey(CK_SESSION_HANDLE session) const {
  ANCHOR_ASSIGN_OR_RETURN(CK_OBJECT_HANDLE priv, FindPrivateKey(session));
  // The public object carries the same label and id; match by the private key's own id.
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> id, Attribute(f(), session, priv, CKA_ID));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> type, Attribute(f(), session, priv, CKA_KEY_TYPE));
  CK_KEY_TYPE key_type = 0;
  std::memcpy(&key_type, type.data(), std::min(type.size(), sizeof key_type));
  if (key_type != CKK_EC) {
    return Error(Code::kUnimplemented,
                 Where() + " is not an EC key; anchor keeps ec-p256 or ec-p384 keys in tokens");
  }
  ANCHOR_ASSIGN_OR_RETURN(auto pubs, Find(session, CKO_PUBLIC_KEY, uri_.object, id));
  if (pubs.empty()) {
    return Error(Code::kNotFound, Where() + " has no public key object beside it (same label " +
                                      "and id), which anchor reads its public key from");
  }
  ANCHOR_ASSIGN_OR_RETURN(auto params, Attribute(f(), session, pubs.front(), CKA_EC_PARAMS));
  ANCHOR_ASSIGN_OR_RETURN(auto point, Attribute(f(), session, pubs.front(), CKA_EC_POINT));
  return EcPublicKey(params, point);
}

// Signer signs in the token over a pool of sessions, and takes the token up again after an
// outage: a failed signature reloads the module once (at most every kReloadPause) and retries.
class Signer final : public KeySigner {
 public:
  explicit Signer(std::shared_ptr<Module> module, Pkcs11KeyUri uri)
      : token_(std::move(module), std::move(uri)) {}
  ~Signer() override {
    // Other keys may keep the module: give the token back this key's sessions.
    std::shared_lock calls(token_.module().calls());
    if (epoch_ == token_.module().epoch()) {
      for (CK_SESSION_HANDLE idle : idle_) {
        token_.f()->C_CloseSession(idle);
      }
    }
  }

  // Start connects and returns the key's public half, so errors at start-up are the token's own.
  Result<PublicKey> Start() {
    Result<PublicKey> pub = Error(Code::kInternal, "");
    {
      std::shared_lock calls(token_.module().calls());
      std::lock_guard lock(mu_);
      ANCHOR_ASSIGN_OR_RETURN(CK_SESSION_HANDLE session, ConnectLocked());
      pub = token_.ReadPublicKey(session);
      idle_.push_back(session);
    }
    if (pub) {
      ANCHOR_TRY(CheckPair(*pub));
    }
    return pub;
  }

  Result<std::vector<uint8_t>> SignDigest(std::span<const uint8_t> digest) const override {
    Error last(Code::kUnavailable, "");
    for (int attempt = 0; attempt < 2; ++attempt) {
      uint64_t epoch = 0;
      {
        std::shared_lock calls(token_.module().calls());
        epoch = token_.module().epoch();
        auto sig = SignOnce(digest);
        if (sig) {
          return sig;
        }
        last = sig.error();
      }
      token_.module().Reload(epoch);
    }
    const std::string where = token_.Where();
    const std::string why = last.message().find(where) == std::string::npos
                                ? where + " is not available: " + last.message()
                                : last.message();
    return Error(Code::kUnavailable, why + "; anchor tries the token again at the next signature");
  }

  std::string Describe() const override { return token_.Where(); }
  Result<std::string> KeyFileText() const override { return token_.uri().ToString() + "\n"; }

 private:
  // CheckPair signs a random digest in the token and verifies it with `pub`, the public key
  // object beside the key: a token whose objects were swapped (the public key of one pair, the
  // private key of another) would otherwise sign what anchor's own checks then refuse, or, in
  // OCSP, what no one checks before it leaves.
  Status CheckPair(const PublicKey& pub) const {
    uint8_t digest[32];
    if (::RAND_bytes(digest, sizeof digest) != 1) {
      return ossl::OsslError("RAND_bytes");
    }
    ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> sig, SignDigest(digest));
    ossl::Ptr<EVP_PKEY_CTX> ctx(::EVP_PKEY_CTX_new(internal::Native(pub), nullptr));
    if (!ctx || ::EVP_PKEY_verify_init(ctx.get()) != 1 ||
        ::EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), digest, sizeof digest) != 1) {
      ossl::ClearErrors();
      return Error(Code::kFailedPrecondition,
                   token_.Where() +
                       " signs with a private key that is not its public key object's: the "
                       "token's objects do not match; make the key again");
    }
    return OkStatus();
  }

  // SignOnce makes one signature with a session of the pool (calls() held shared).
  Result<std::vector<uint8_t>> SignOnce(std::span<const uint8_t> digest) const {
    if (!token_.module().down().empty()) {
      return Error(Code::kUnavailable, token_.module().down());
    }
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    {
      std::lock_guard lock(mu_);
      if (pin_refused_) {
        return *pin_refused_;  // never again: each try counts against the token's PIN
      }
      if (epoch_ != token_.module().epoch() || key_ == CK_INVALID_HANDLE) {
        if (epoch_ == token_.module().epoch()) {
          for (CK_SESSION_HANDLE idle : idle_) {
            token_.f()->C_CloseSession(idle);
          }
        }
        idle_.clear();  // (handles of a finalised module are gone with it)
        auto connected = ConnectLocked();
        if (!connected) {
          const Code code = connected.error().code();
          if (code == Code::kUnauthenticated || code == Code::kPermissionDenied) {
            // A refused PIN is not retried: a hardware token locks it after a few tries.
            pin_refused_ =
                Error(Code::kUnavailable, connected.error().message() +
                                              "; anchor stops logging in to this token (each try "
                                              "counts against its PIN): fix the PIN and restart");
            return *pin_refused_;
          }
          return connected.error();
        }
        session = *connected;
      } else if (!idle_.empty()) {
        session = idle_.back();
        idle_.pop_back();
      } else {
        ANCHOR_ASSIGN_OR_RETURN(session, token_.OpenSession());
      }
      key = key_;
    }
    // PKCS#11 3.0 2.3.6: CKM_ECDSA signs the hash as given and returns r || s.
    CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
    std::vector<uint8_t> raw(2 * 66);
    CK_ULONG len = raw.size();
    CK_RV rv = token_.f()->C_SignInit(session, &mechanism, key);
    if (rv == CKR_OK) {
      rv = token_.f()->C_Sign(session, const_cast<uint8_t*>(digest.data()), digest.size(),
                              raw.data(), &len);
    }
    std::lock_guard lock(mu_);
    if (rv != CKR_OK) {
      token_.f()->C_CloseSession(session);
      key_ = CK_INVALID_HANDLE;  // look the key up again: the token may have come back new
      return Error(Code::kUnavailable, token_.Where() + " cannot sign: " + RvText(rv));
    }
    idle_.push_back(session);
    raw.resize(len);
    return EcdsaRawToDer(raw);
  }

  // ConnectLocked logs in and finds the key (mu_ held, calls() held shared).
  Result<CK_SESSION_HANDLE> ConnectLocked() const {
    epoch_ = token_.module().epoch();
    ANCHOR_ASSIGN_OR_RETURN(CK_SESSION_HANDLE session, token_.Connect(false));
    auto key = token_.FindPrivateKey(session);
    if (!key) {
      token_.f()->C_CloseSession(session);
      return key.error();
    }
    key_ = *key;
    return session;
  }

  mutable Token token_;
  mutable std::mutex mu_;
  mutable uint64_t epoch_ = 0;
  mutable CK_OBJECT_HANDLE key_ = CK_INVALID_HANDLE;
  mutable std::vector<CK_SESSION_HANDLE> idle_;
  mutable std::optional<Error> pin_refused_;
};

std::string PercentEncode(std::span<const uint8_t> bytes) {
  std::string out;
  char hex[4];
  for (uint8_t b : bytes) {
    std::snprintf(hex, sizeof hex, "%%%02X", b);
    out += hex;
  }
  return out;
}

// AttributeValue percent-encodes what RFC 7512 2.3 does not allow bare in an attribute value:
// `extra` are the characters a query value may hold besides a path value's.
std::string AttributeValue(std::string_view value, const char* extra = "") {
  std::string out;
  for (unsigned char c : value) {
    if (c == 0) {
      continue;
    }
    if (std::isalnum(c) || std::strchr("-._~:[]@!$'()*+,=&", c) != nullptr ||
        std::strchr(extra, c) != nullptr) {
      out.push_back(static_cast<char>(c));
    } else {
      out += PercentEncode(std::span<const uint8_t>(&c, 1));
    }
  }
  return out;
}

}  // namespace

std::string Pkcs11KeyUri::ToString() const {
  std::vector<std::string> path;
  if (!token.empty()) {
    path.push_back("token=" + AttributeValue(token));
  }
  if (!serial.empty()) {
    path.push_back("serial=" + AttributeValue(serial));
  }
  if (!object.empty()) {
    path.push_back("object=" + AttributeValue(object));
  }
  if (!id.empty()) {
    path.push_back("id=" + PercentEncode(id));
  }
  path.push_back("type=private");
  std::vector<std::string> query;
  if (!module_path.empty()) {
    query.push_back("module-path=" + AttributeValue(module_path, "/?|"));
  }
  if (!pin_source.empty()) {
    query.push_back("pin-source=" + AttributeValue(pin_source, "/?|"));
  }
  return std::string(kScheme) + Join(path, ";") + (query.empty() ? "" : "?" + Join(query, "&"));
}

std::string Pkcs11KeyUri::Describe() const {
  std::string key = !object.empty() ? "'" + object + "'" : "id " + PercentEncode(id);
  std::string where = !token.empty() ? "'" + token + "'" : "serial " + serial;
  return "PKCS#11 token " + where + " key " + key;
}

bool IsPkcs11Uri(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.size() - start >= kScheme.size() &&
         ::strncasecmp(text.data() + start, kScheme.data(), kScheme.size()) == 0;
}

Result<Pkcs11KeyUri> ParsePkcs11KeyUri(std::string_view text) {
  std::string s(TrimRight(text));
  s.erase(0, std::min(s.size(), s.find_first_not_of(" \t\r\n")));
  // RFC 3986 3.1: a scheme is case-insensitive; p11-kit reads only "pkcs11:".
  if (s.size() >= kScheme.size() && ::strncasecmp(s.c_str(), kScheme.data(), kScheme.size()) == 0) {
    s.replace(0, kScheme.size(), kScheme);
  }
  if (!IsPkcs11Uri(s)) {
    return Error(
        Code::kInvalidArgument,
        "'" + s + "' is not a PKCS#11 URI; write pkcs11:token=LABEL;object=KEY (RFC 7512)");
  }
  if (s.find_first_of(" \t\r\n") != std::string::npos) {
    // p11-kit drops blanks, so "object=my key" would name "mykey".
    return Error(Code::kInvalidArgument,
                 "the PKCS#11 URI '" + s + "' holds a blank; write a space as %20 (RFC 7512)");
  }
  for (const char* query : {";module-path=", ";pin-source=", ";module-name="}) {
    if (s.find(query) != std::string::npos && s.find('?') == std::string::npos) {
      return Error(Code::kInvalidArgument,
                   "the PKCS#11 URI '" + s + "' has " + std::string(query + 1) +
                       " in its path; it belongs in the query, after '?' (RFC 7512 2.3): "
                       "pkcs11:token=T;object=K?module-path=M");
    }
  }
  UriPtr uri(::p11_kit_uri_new());
  if (int r = ::p11_kit_uri_parse(s.c_str(), P11_KIT_URI_FOR_ANY, uri.get()); r != P11_KIT_URI_OK) {
    return Error(Code::kInvalidArgument, "cannot parse the PKCS#11 URI '" + s +
                                             "': " + ::p11_kit_uri_message(r) + " (RFC 7512)");
  }
  if (::p11_kit_uri_get_pin_value(uri.get()) != nullptr) {
    return Error(Code::kInvalidArgument,
                 "the PKCS#11 URI carries pin-value: a PIN on a command line or in a file anchor "
                 "keeps is readable by others; remove it and give --pin-file FILE or set "
                 "ANCHOR_PKCS11_PIN");
  }
  if (::p11_kit_uri_any_unrecognized(uri.get())) {
    return Error(
        Code::kInvalidArgument,
        "the PKCS#11 URI '" + s +
            "' has an attribute anchor does not know; use token, "
            "serial, object, id and type in the path, module-path and pin-source in the query");
  }
  Pkcs11KeyUri out;
  const CK_TOKEN_INFO* token = ::p11_kit_uri_get_token_info(uri.get());
  out.token = Padded(token->label, sizeof token->label);
  out.serial = Padded(token->serialNumber, sizeof token->serialNumber);
  if (const CK_ATTRIBUTE* a = ::p11_kit_uri_get_attribute(uri.get(), CKA_LABEL)) {
    out.object.assign(static_cast<const char*>(a->pValue), a->ulValueLen);
  }
  if (const CK_ATTRIBUTE* a = ::p11_kit_uri_get_attribute(uri.get(), CKA_ID)) {
    const auto* p = static_cast<const uint8_t*>(a->pValue);
    out.id.assign(p, p + a->ulValueLen);
  }
  if (const CK_ATTRIBUTE* a = ::p11_kit_uri_get_attribute(uri.get(), CKA_CLASS);
      a != nullptr && a->ulValueLen == sizeof(CK_OBJECT_CLASS) &&
      *static_cast<const CK_OBJECT_CLASS*>(a->pValue) != CKO_PRIVATE_KEY) {
    return Error(Code::kInvalidArgument, "the PKCS#11 URI '" + s +
                                             "' names an object that is not a private key; "
                                             "write type=private or leave type out");
  }
  if (const char* m = ::p11_kit_uri_get_module_path(uri.get())) {
    out.module_path = m;
  }
  if (const char* p = ::p11_kit_uri_get_pin_source(uri.get())) {
    out.pin_source = p;
  }
  if (::p11_kit_uri_get_module_name(uri.get()) != nullptr) {
    return Error(Code::kInvalidArgument, "the PKCS#11 URI '" + s +
                                             "' names its module by module-name; anchor loads "
                                             "the file module-path names: write that instead");
  }
  if (!out.pin_source.empty() && !out.pin_source.starts_with("/") &&
      !out.pin_source.starts_with("file:/")) {
    return Error(Code::kInvalidArgument,
                 "the PKCS#11 URI's pin-source '" + out.pin_source +
                     "' is not an absolute path; a relative one would depend on the directory "
                     "each command runs in");
  }
  for (const std::string* value : {&out.token, &out.serial, &out.object}) {
    if (std::any_of(value->begin(), value->end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      return Error(Code::kInvalidArgument,
                   "the PKCS#11 URI '" + s +
                       "' has a control character (%00 to %1F) in a label; use printable text");
    }
  }
  if (out.token.empty() && out.serial.empty()) {
    return Error(Code::kInvalidArgument, "the PKCS#11 URI '" + s +
                                             "' names no token; add token=LABEL (the label "
                                             "softhsm2-util --show-slots or p11tool lists)");
  }
  if (out.object.empty() && out.id.empty()) {
    return Error(Code::kInvalidArgument,
                 "the PKCS#11 URI '" + s + "' names no key; add object=LABEL");
  }
  return out;
}

void SetPkcs11Pin(std::string_view pin) {
  std::lock_guard lock(PinMutex());
  ProcessPin() = SecretBytes(pin);
}

namespace {

Result<std::shared_ptr<Module>> ModuleOf(const Pkcs11KeyUri& uri) {
  return Module::Get(uri.module_path.empty() ? kDefaultModule : uri.module_path);
}

}  // namespace

Result<PrivateKey> OpenPkcs11Key(const Pkcs11KeyUri& uri) {
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<Module> module, ModuleOf(uri));
  auto signer = std::make_shared<Signer>(std::move(module), uri);
  ANCHOR_ASSIGN_OR_RETURN(PublicKey pub, signer->Start());
  return MakeExternalKey(pub, std::move(signer));
}

Result<GeneratedPkcs11Key> GeneratePkcs11Key(const Pkcs11KeyUri& uri, KeyType type) {
  if (type != KeyType::kEcP256 && type != KeyType::kEcP384) {
    return Error(Code::kInvalidArgument, "a CA key in a PKCS#11 token is ec-p256 or ec-p384, not " +
                                             std::string(KeyTypeName(type)));
  }
  Pkcs11KeyUri made = uri;
  if (made.object.empty()) {
    return Error(Code::kInvalidArgument,
                 "name the new key with object=LABEL in the PKCS#11 URI " + uri.ToString());
  }
  if (made.id.empty()) {
    made.id.resize(16);  // a random CKA_ID names this key alone, whatever else has its label
    if (::RAND_bytes(made.id.data(), static_cast<int>(made.id.size())) != 1) {
      return ossl::OsslError("RAND_bytes");
    }
  }
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<Module> module, ModuleOf(made));
  {
    std::shared_lock calls(module->calls());
    Token token(module, made);
    ANCHOR_ASSIGN_OR_RETURN(CK_SESSION_HANDLE session, token.Connect(true));
    struct Close {
      Token& t;
      CK_SESSION_HANDLE s;
      ~Close() { t.f()->C_CloseSession(s); }
    } close{token, session};
    for (const auto& [label, id] :
         {std::pair{made.object, std::vector<uint8_t>{}}, std::pair{std::string(), made.id}}) {
      // Any object: a public key or certificate with that label or id is someone else's too,
      // and the key anchor would make could be confused with it (or, undone, delete it).
      ANCHOR_ASSIGN_OR_RETURN(auto existing, token.Find(session, std::nullopt, label, id));
      if (!existing.empty()) {
        return Error(Code::kAlreadyExists,
                     made.Describe() +
                         " already exists (an object with that label or id: another CA's, "
                         "perhaps): anchor makes its own keys "
                         "and never takes one over; name another object=, unique in the token, "
                         "e.g. with the CA's name in it");
      }
    }
    const int nid = type == KeyType::kEcP256 ? NID_X9_62_prime256v1 : NID_secp384r1;
    unsigned char* oid = nullptr;
    const int oid_len = ::i2d_ASN1_OBJECT(::OBJ_nid2obj(nid), &oid);
    if (oid_len <= 0) {
      return ossl::OsslError("i2d_ASN1_OBJECT");
    }
    std::vector<uint8_t> ec_params(oid, oid + oid_len);
    ::OPENSSL_free(oid);
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    auto label = const_cast<char*>(made.object.data());
    auto id = made.id.data();
    CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, sizeof yes},
                          {CKA_PRIVATE, &no, sizeof no},
                          {CKA_VERIFY, &yes, sizeof yes},
                          {CKA_ENCRYPT, &no, sizeof no},
                          {CKA_WRAP, &no, sizeof no},
                          {CKA_EC_PARAMS, ec_params.data(), ec_params.size()},
                          {CKA_LABEL, label, made.object.size()},
                          {CKA_ID, id, made.id.size()}};
    // PKCS#11 3.0 4.9: CKA_SENSITIVE and not CKA_EXTRACTABLE, so the token never hands out the
    // key's value, plain or wrapped; CKA_NEVER_EXTRACTABLE then stays true for its whole life.
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof yes},          {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SIGN, &yes, sizeof yes},           {CKA_DERIVE, &no, sizeof no},
        {CKA_DECRYPT, &no, sizeof no},          {CKA_UNWRAP, &no, sizeof no},
        {CKA_SENSITIVE, &yes, sizeof yes},      {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_LABEL, label, made.object.size()}, {CKA_ID, id, made.id.size()}};
    CK_MECHANISM mechanism{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE priv_handle = CK_INVALID_HANDLE;
    if (CK_RV rv = token.f()->C_GenerateKeyPair(session, &mechanism, pub, std::size(pub), priv,
                                                std::size(priv), &pub_handle, &priv_handle);
        rv != CKR_OK) {
      return Error(rv == CKR_MECHANISM_INVALID ? Code::kUnimplemented : Code::kUnavailable,
                   "cannot make a key in " + made.Describe() + ": " + RvText(rv));
    }
  }
  auto key = OpenPkcs11Key(made);
  if (!key) {
    (void)DestroyPkcs11Key(made);
    return key.error();
  }
  return GeneratedPkcs11Key{std::move(made), std::move(key).value()};
}

Status DestroyPkcs11Key(const Pkcs11KeyUri& uri) {
  ANCHOR_ASSIGN_OR_RETURN(std::shared_ptr<Module> module, ModuleOf(uri));
  std::shared_lock calls(module->calls());
  Token token(module, uri);
  ANCHOR_ASSIGN_OR_RETURN(CK_SESSION_HANDLE session, token.Connect(true));
  Status status = OkStatus();
  for (CK_OBJECT_CLASS cls : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
    auto objects = token.Find(session, cls, uri.object, uri.id);
    if (!objects) {
      status = objects.error();
      continue;
    }
    for (CK_OBJECT_HANDLE o : *objects) {
      if (CK_RV rv = token.f()->C_DestroyObject(session, o); rv != CKR_OK) {
        status = Error(Code::kUnavailable,
                       "cannot delete " + uri.Describe() + " from the token: " + RvText(rv));
      }
    }
  }
  token.f()->C_CloseSession(session);
  return status;
}

}  // namespace anchor::crypto
