// SPDX-License-Identifier: Apache-2.0
// File: csr_to_certificate_fuzzer.cc: the whole issuance path from untrusted CSR bytes to a
// recorded certificate, under every profile, by a CA with and without name constraints.
// Whatever the bytes, no CA certificate may come out, and no certificate may come out that
// anchor's own verifier (the chain to the root, strict, for the profile's purpose) or its lint
// refuses: either aborts. The first input byte chooses: its low bit re-signs the request with a
// key of the fuzzer's, so that every mutation of names and extensions gets past proof of
// possession and reaches policy; the rest of the bits choose the CA.
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ca/lint.h"
#include "crypto/chain_verifier.h"
#include "crypto/internal/der.h"
#include "crypto/internal/handles.h"  // re-signs requests with raw OpenSSL
#include "testlib/test_ca.h"

namespace {

using anchor::ca::Profile;

// kInputsPerCa bounds how many inputs one CA (and its in-memory store, which keeps every row)
// serves before it is made afresh, so memory stays flat over a long run.
constexpr int kInputsPerCa = 2000;

anchor::testing::TestCa& Ca(bool constrained) {
  static std::unique_ptr<anchor::testing::TestCa> plain, narrow;
  static int served = 0;
  if (served++ % kInputsPerCa == 0) {
    plain = std::make_unique<anchor::testing::TestCa>();
    narrow = std::make_unique<anchor::testing::TestCa>(anchor::ca::CaConfig::Defaults(), 365,
                                                       anchor::crypto::KeyType::kEcP256,
                                                       std::vector<std::string>{"example.com"});
  }
  return constrained ? *narrow : *plain;
}

// Resigned returns the request with its key replaced by the fuzzer's, signed by it.
std::optional<anchor::crypto::Csr> Resigned(std::span<const uint8_t> der) {
  static const auto key =
      anchor::crypto::PrivateKey::Generate(anchor::crypto::KeyType::kEcP256).value();
  const unsigned char* p = der.data();
  anchor::ossl::Ptr<X509_REQ> req(::d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  EVP_PKEY* pkey = anchor::crypto::internal::Native(key);
  if (!req || ::X509_REQ_set_pubkey(req.get(), pkey) != 1 ||
      ::X509_REQ_sign(req.get(), pkey, ::EVP_sha256()) <= 0) {
    anchor::ossl::ClearErrors();
    return std::nullopt;
  }
  auto csr = anchor::crypto::Csr::FromDer(anchor::crypto::internal::I2d(::i2d_X509_REQ, req.get()));
  return csr ? std::optional(std::move(csr).value()) : std::nullopt;
}

// Accepted tells whether `cert` passes what a relying party checks, as anchor's verifier does.
bool Accepted(const anchor::crypto::Certificate& cert, anchor::testing::TestCa& ca, Profile p) {
  if (cert.IsCa()) {
    return false;
  }
  anchor::crypto::VerifyOptions v{{*ca.root}, {*ca.intermediate}};
  v.at = ca.clock.Now();
  for (const auto eku : anchor::ca::ProfileExtKeyUsage(p)) {
    v.purpose = eku == anchor::crypto::ExtKeyUsage::kServerAuth ? anchor::crypto::Purpose::kServer
                                                                : anchor::crypto::Purpose::kClient;
    if (!anchor::crypto::VerifyChain(cert, v)) {
      return false;
    }
  }
  return anchor::ca::Lint(cert, ca.clock.Now(), {}, {*ca.intermediate, *ca.root}).Ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  const bool resign = (data[0] & 1) != 0;
  anchor::testing::TestCa& ca = Ca((data[0] & 2) != 0);
  const std::span<const uint8_t> rest(data + 1, size - 1);
  auto parsed =
      anchor::crypto::Csr::Parse({reinterpret_cast<const char*>(rest.data()), rest.size()});
  if (!parsed) {
    return 0;
  }
  std::optional<anchor::crypto::Csr> csr =
      resign ? Resigned(parsed->ToDer()) : std::optional(std::move(parsed).value());
  if (!csr) {
    return 0;
  }
  for (const Profile profile : anchor::ca::AllProfiles()) {
    auto copy = anchor::crypto::Csr::FromDer(csr->ToDer());
    auto issued =
        ca.authority->Issue({std::move(copy).value(), anchor::ca::OperatorRequest{profile, 30}});
    if (issued && !Accepted(issued->cert, ca, profile)) {
      std::fprintf(stderr, "issued a certificate anchor's verifier refuses:\n%s",
                   issued->cert.ToPem().c_str());
      std::abort();
    }
  }
  return 0;
}
