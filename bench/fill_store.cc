// SPDX-License-Identifier: Apache-2.0
// File: fill_store.cc: anchor-fill, the generator of bench/store_growth.sh. It fills a real CA
// home's store with real certificates signed by that CA's intermediate, and revokes some of
// them through the store, so that the store's costs can be measured at 10k, 100k and 1M rows.
//
//   anchor-fill grow --home DIR --to N [--revoke-fraction F] [--threads T] [--group G]
//                    [--probe-out FILE]
//       issues device certificates (CN fill-<i>, the device profile's names, P-256 keys from a
//       pool, validity spread over 1..365 days) until the store holds N certificates, in
//       transactions of G (default 5000) through store::Store::InsertCertificates, signing on T
//       threads (default 2) while the previous group is recorded; then revokes F (default 0.1)
//       of the certificates it just issued, one store::Store::Revoke each (one transaction and
//       one fsync each, as `anchor revoke` does). --probe-out writes one of the new valid
//       certificates (PEM), for OCSP requests.
//   anchor-fill crl --home DIR
//       times the CRL's parts in process: the store query of the revoked, unexpired certificates
//       (store::Store::RevokedUnexpired), and ca::Authority::BuildCrl (query, number, signature).
//
// Each certificate goes through the issuance policy (`IssuancePolicy::Decide`, the device
// profile's template) and crypto::SignCertificate with the intermediate's key; what the fast path
// leaves out, compared with `anchor sign`, is the CSR (proof of possession is about the key,
// which here is the generator's own) and the check before issuance (every certificate here has
// the same template shape, which the test suite checks). Prints one line per phase:
//   grow issued=90000 seconds=41.2 rate=2184.5 revoked=9000 revoke_seconds=60.1 count=100003
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "ca/issuance_policy.h"
#include "ca/serial_number.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/cert_builder.h"
#include "crypto/crypto_rng.h"
#include "crypto/digest.h"
#include "home/ca_home.h"

namespace {

using namespace anchor;  // NOLINT: a small tool
using Seconds = std::chrono::duration<double>;

[[noreturn]] void Die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "anchor-fill: %s: %s\n", what.c_str(), e.message().c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r) Die(what, r.error());
  return std::move(r).value();
}

void Must(const Status& s, const std::string& what) {
  if (!s) Die(what, s.error());
}

struct Options {
  std::string home, probe_out;
  int64_t to = 0;
  double revoke_fraction = 0.1;
  int threads = 2;
  size_t group = 5000;
};

// Record is what Authority::ToRecord makes of a signed certificate.
store::CertificateRecord Record(const crypto::Certificate& cert, const std::string& issuer_fp) {
  store::CertificateRecord r;
  r.serial = cert.SerialHex();
  r.issuer = cert.Issuer();
  r.issuer_fingerprint = issuer_fp;
  r.subject = cert.Subject();
  r.common_name = cert.CommonName();
  for (const auto& san : cert.SubjectAltNames()) r.sans.push_back(san.ToString());
  r.profile = "device";
  r.not_before = UnixSeconds(cert.NotBefore());
  r.not_after = UnixSeconds(cert.NotAfter());
  r.der = cert.ToDer();
  r.fingerprint = HexEncode(crypto::Sha256(r.der));
  return r;
}

int Grow(const Options& o) {
  SystemClock clock;
  crypto::CryptoRng rng;
  auto home = Must(home::CaHome::Open(o.home, nullptr, /*need_key=*/true, clock, rng), "opening");
  store::Store& store = home->store();
  const crypto::Certificate& issuer = home->intermediate();
  const crypto::PrivateKey& issuer_key = home->authority().key();
  std::vector<crypto::PublicKey> keys;
  for (int i = 0; i < 64; ++i) {
    keys.push_back(Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256), "key").Public());
  }
  const int64_t start_count = Must(store.CountCertificates(), "counting");
  const int64_t want = std::max<int64_t>(0, o.to - start_count);
  const auto now = clock.Now();

  // Sign certificates [first, first + n) on `threads` threads.
  auto sign = [&](int64_t first, int64_t n) {
    std::vector<store::CertificateRecord> out(static_cast<size_t>(n));
    std::vector<std::thread> workers;
    for (int t = 0; t < o.threads; ++t) {
      workers.emplace_back([&, t] {
        crypto::CryptoRng trng;
        for (int64_t i = t; i < n; i += o.threads) {
          const int64_t id = start_count + first + i;
          ca::NameRequest names{"fill-" + std::to_string(id), {}};
          auto decision =
              Must(home->policy().Decide(keys[id % keys.size()], names, ca::Profile::kDevice,
                                         1 + id % 365, issuer, now),
                   "policy");
          decision.tmpl.serial = Must(ca::NewSerial(trng), "serial");
          auto cert = Must(
              crypto::SignCertificate(decision.tmpl, keys[id % keys.size()], &issuer, issuer_key),
              "signing");
          out[static_cast<size_t>(i)] = Record(cert, issuer.Sha256Fingerprint());
        }
      });
    }
    for (auto& w : workers) w.join();
    return out;
  };

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> issued;  // serials, to revoke some
  const auto group = static_cast<int64_t>(o.group);
  std::future<std::vector<store::CertificateRecord>> next;
  if (want > 0) next = std::async(std::launch::async, sign, 0, std::min(group, want));
  for (int64_t first = 0; first < want; first += group) {
    auto records = next.get();
    if (first + group < want) {
      next = std::async(std::launch::async, sign, first + group,
                        std::min(group, want - first - group));
    }
    Must(store.InsertCertificates(records, UnixSeconds(clock.Now())), "recording");
    for (const auto& r : records) issued.push_back(r.serial);
    if (!o.probe_out.empty() && first == 0) {
      const auto cert = Must(crypto::Certificate::FromDer(records.front().der), "probe");
      Must(WriteFileAtomic(o.probe_out, cert.ToPem(), 0644), "writing the probe");
    }
  }
  const double grow_seconds = Seconds(std::chrono::steady_clock::now() - t0).count();

  // Revoke every k-th new certificate (serials are random, so these are spread over the tree),
  // never the probe (issued.front()).
  const auto t1 = std::chrono::steady_clock::now();
  int64_t revoked = 0;
  if (o.revoke_fraction > 0 && issued.size() > 1) {
    const auto step = static_cast<size_t>(std::max(1.0, 1.0 / o.revoke_fraction));
    static constexpr int kReasons[] = {1, 3, 4, 5};  // keyCompromise, affiliationChanged, ...
    for (size_t i = step - 1; i < issued.size(); i += step) {
      if (i == 0) continue;
      Must(store.Revoke(issued[i], UnixSeconds(clock.Now()), kReasons[revoked % 4], "reason=bench"),
           "revoking");
      ++revoked;
    }
  }
  const double revoke_seconds = Seconds(std::chrono::steady_clock::now() - t1).count();
  std::printf(
      "grow issued=%lld seconds=%.1f rate=%.1f revoked=%lld revoke_seconds=%.1f "
      "revoke_rate=%.1f count=%lld\n",
      static_cast<long long>(want), grow_seconds, want / std::max(grow_seconds, 1e-9),
      static_cast<long long>(revoked), revoke_seconds, revoked / std::max(revoke_seconds, 1e-9),
      static_cast<long long>(Must(store.CountCertificates(), "counting")));
  return 0;
}

int Crl(const Options& o) {
  SystemClock clock;
  crypto::CryptoRng rng;
  auto home = Must(home::CaHome::Open(o.home, nullptr, /*need_key=*/true, clock, rng), "opening");
  const auto t0 = std::chrono::steady_clock::now();
  const auto revoked = Must(home->store().RevokedUnexpired(home->intermediate().Sha256Fingerprint(),
                                                           UnixSeconds(clock.Now())),
                            "query");
  const double query_ms = Seconds(std::chrono::steady_clock::now() - t0).count() * 1e3;
  const auto t1 = std::chrono::steady_clock::now();
  const auto crl = Must(home->authority().BuildCrl(), "building the CRL");
  const double build_ms = Seconds(std::chrono::steady_clock::now() - t1).count() * 1e3;
  const auto t2 = std::chrono::steady_clock::now();
  const auto der = crl.ToDer();
  const double der_ms = Seconds(std::chrono::steady_clock::now() - t2).count() * 1e3;
  std::printf("crl entries=%zu query_ms=%.1f build_ms=%.1f to_der_ms=%.1f der_bytes=%zu\n",
              revoked.size(), query_ms, build_ms, der_ms, der.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"anchor-fill: fills a CA home's store for the store-growth benchmark"};
  app.require_subcommand(1);
  auto* grow = app.add_subcommand("grow", "issue certificates until the store holds --to");
  grow->add_option("--home", o.home, "CA home")->required();
  grow->add_option("--to", o.to, "certificates the store should hold")->required();
  grow->add_option("--revoke-fraction", o.revoke_fraction, "share of the new ones to revoke");
  grow->add_option("--threads", o.threads, "signing threads")->check(CLI::Range(1, 64));
  grow->add_option("--group", o.group, "certificates per transaction")
      ->check(CLI::Range(1, 1000000));
  grow->add_option("--probe-out", o.probe_out, "write one new valid certificate here (PEM)");
  auto* crl = app.add_subcommand("crl", "time the CRL's parts");
  crl->add_option("--home", o.home, "CA home")->required();
  CLI11_PARSE(app, argc, argv);
  return grow->parsed() ? Grow(o) : Crl(o);
}
