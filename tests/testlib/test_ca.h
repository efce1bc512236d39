// SPDX-License-Identifier: Apache-2.0
// File: test_ca.h: an in-memory CA (root, intermediate, SQLite ":memory:") at a fixed time.
#pragma once

#include <memory>

#include "ca/authenticator.h"
#include "ca/authority.h"
#include "ca/ca_templates.h"
#include "ca/serial_number.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "crypto/cert_builder.h"
#include "crypto/key_file.h"
#include "store/sqlite/sqlite_store.h"
#include "testlib/test_rng.h"

namespace anchor::testing {

// kReferenceTime is 2026-01-01T00:00:00Z.
inline const Clock::time_point kReferenceTime = FromUnixSeconds(1767225600);

// TestCa builds a root and an intermediate valid for `intermediate_days` from kReferenceTime,
// the intermediate constrained to `permitted_dns` when it is not empty.
class TestCa {
 public:
  explicit TestCa(ca::CaConfig config = ca::CaConfig::Defaults(), int intermediate_days = 365,
                  crypto::KeyType type = crypto::KeyType::kEcP256,
                  std::vector<std::string> permitted_dns = {})
      : clock(kReferenceTime), rng(42), config_(std::move(config)) {
    root_key = std::make_unique<crypto::PrivateKey>(crypto::PrivateKey::Generate(type).value());
    root = std::make_unique<crypto::Certificate>(
        crypto::SignCertificate(
            ca::RootTemplate("test", ca::NewSerial(rng).value(), clock.Now(), 3650),
            root_key->Public(), nullptr, *root_key)
            .value());
    inter_key = std::make_unique<crypto::PrivateKey>(crypto::PrivateKey::Generate(type).value());
    intermediate = std::make_unique<crypto::Certificate>(
        crypto::SignCertificate(
            ca::IntermediateTemplate("test", ca::NewSerial(rng).value(), clock.Now(),
                                     intermediate_days, root->NotAfter(), permitted_dns),
            inter_key->Public(), root.get(), *root_key)
            .value());
    store = store::OpenSqliteStore(":memory:").value();
    authority = std::make_unique<ca::Authority>(config_, *root, *intermediate, *inter_key, *store,
                                                clock, rng);
    authenticator = std::make_unique<ca::Authenticator>(authority->config(), *store, clock);
  }

  // Grant authenticates `credential` as the server would (with `factory` trust, if any).
  Result<ca::Grant> Grant(const ca::Presented& credential, ca::FactoryTrust factory = {}) const {
    return ca::Authenticator(authority->config(), *store, clock, std::move(factory))
        .Authenticate(credential);
  }

  // Enroll is what EST does: authenticate `credential`, then issue for `csr` under its grant.
  Result<ca::Issued> Enroll(crypto::Csr csr, const ca::Presented& credential,
                            ca::FactoryTrust factory = {}) {
    ANCHOR_ASSIGN_OR_RETURN(ca::Grant grant, Grant(credential, std::move(factory)));
    return authority->Issue(ca::IssueRequest{std::move(csr), std::move(grant)});
  }

  FixedClock clock;
  TestRng rng;
  std::unique_ptr<crypto::PrivateKey> root_key, inter_key;
  std::unique_ptr<crypto::Certificate> root, intermediate;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ca::Authority> authority;
  std::unique_ptr<ca::Authenticator> authenticator;  // without factory trust

 private:
  ca::CaConfig config_;
};

// TestFactory is a device manufacturer's CA, as `[server] bootstrap_ca` names one: its root and
// the factory certificates it puts on devices.
class TestFactory {
 public:
  explicit TestFactory(Clock::time_point now)
      : now_(now),
        key_(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value()),
        root_(crypto::SignCertificate(ca::RootTemplate("Factory", {0x10}, now, 3650), key_.Public(),
                                      nullptr, key_)
                  .value()) {}

  const crypto::Certificate& root() const { return root_; }
  ca::FactoryTrust Trust(ca::Profile profile = ca::Profile::kDevice) const {
    return ca::FactoryTrust{{root_}, profile};
  }

  // Leaf is a factory client certificate for `cn`, valid an hour before and a day after now.
  crypto::Certificate Leaf(const std::string& cn) const {
    crypto::CertTemplate tmpl;
    tmpl.serial = {0x20};
    tmpl.common_name = cn;
    tmpl.not_before = now_ - std::chrono::hours(1);
    tmpl.not_after = now_ + std::chrono::hours(24);
    tmpl.key_usage = crypto::kDigitalSignature;
    tmpl.ext_key_usage = {crypto::ExtKeyUsage::kClientAuth};
    const auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
    return crypto::SignCertificate(tmpl, key.Public(), &root_, key_).value();
  }

 private:
  Clock::time_point now_;
  crypto::PrivateKey key_;
  crypto::Certificate root_;
};

// LoadFixture reads a certificate of tests/data/<path> (made by a checked-in script).
inline crypto::Certificate LoadFixture(const std::string& path) {
  return crypto::LoadCertificateFile(std::string(ANCHOR_TEST_DATA) + "/" + path).value();
}

// LoadCsrFixture reads a request of tests/data/csr (made by its generate.py).
inline crypto::Csr LoadCsrFixture(const std::string& file) {
  const std::string path = std::string(ANCHOR_TEST_DATA) + "/csr/" + file;
  return crypto::Csr::Parse(ReadFile(path).value()).value();
}

// MakeCsr returns a CSR for a fresh key of `type`.
inline crypto::Csr MakeCsr(const std::string& cn, std::vector<crypto::GeneralName> sans = {},
                           crypto::KeyType type = crypto::KeyType::kEcP256) {
  const auto key = crypto::PrivateKey::Generate(type).value();
  return crypto::Csr::Create(key, cn, sans).value();
}

}  // namespace anchor::testing
