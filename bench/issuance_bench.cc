// SPDX-License-Identifier: Apache-2.0
// File: issuance_bench.cc: the full issuance path (CSR parse + proof of possession, policy,
// build, sign, verification before issuance, store row) against the raw signature rate of the
// same CA key (EVP_DigestSign), in one run, for ec-p256, ed25519 and rsa-2048, and the
// verification before issuance (`CheckBeforeIssue`) alone on the same certificates, so its share
// of an issuance is measured in the same run. Prints the ratios at the end.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "ca/authority.h"
#include "ca/ca_templates.h"
#include "ca/issuance_check.h"
#include "ca/serial_number.h"
#include "crypto/cert_builder.h"
#include "crypto/crypto_rng.h"
#include "crypto/internal/handles.h"  // the raw EVP_DigestSign baseline signs with the CA key
#include "store/sqlite/sqlite_store.h"

namespace anchor {
namespace {

using crypto::KeyType;

constexpr KeyType kTypes[] = {KeyType::kEcP256, KeyType::kEd25519, KeyType::kRsa2048};

// Fixture is a CA whose intermediate key has the benchmarked type, and a pool of CSRs (made
// beforehand: the device side is not part of issuance).
struct Fixture {
  explicit Fixture(KeyType type, const std::string& db) : clock(), rng() {
    const auto root_key = crypto::PrivateKey::Generate(type).value();
    root = std::make_unique<crypto::Certificate>(
        crypto::SignCertificate(
            ca::RootTemplate("bench", ca::NewSerial(rng).value(), clock.Now(), 3650),
            root_key.Public(), nullptr, root_key)
            .value());
    key = std::make_unique<crypto::PrivateKey>(crypto::PrivateKey::Generate(type).value());
    intermediate = std::make_unique<crypto::Certificate>(
        crypto::SignCertificate(ca::IntermediateTemplate("bench", ca::NewSerial(rng).value(),
                                                         clock.Now(), 1825, root->NotAfter(), {}),
                                key->Public(), root.get(), root_key)
            .value());
    store = store::OpenSqliteStore(db).value();
    authority = std::make_unique<ca::Authority>(ca::CaConfig::Defaults(), *root, *intermediate,
                                                *key, *store, clock, rng);
    const auto device_key = crypto::PrivateKey::Generate(KeyType::kEcP256).value();
    for (int i = 0; i < 64; ++i) {
      csr_ders.push_back(
          crypto::Csr::Create(device_key, "device-" + std::to_string(i), {}).value().ToDer());
    }
  }
  SystemClock clock;
  crypto::CryptoRng rng;
  std::unique_ptr<crypto::Certificate> root, intermediate;
  std::unique_ptr<crypto::PrivateKey> key;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ca::Authority> authority;
  std::vector<std::vector<uint8_t>> csr_ders;
};

// IssueOne issues the `i`th pooled CSR under the device profile; false (the benchmark marked
// failed) when it is refused.
bool IssueOne(Fixture& f, size_t i, benchmark::State& state) {
  auto csr = crypto::Csr::FromDer(f.csr_ders[i % f.csr_ders.size()]);
  auto issued =
      f.authority->Issue({std::move(csr).value(), ca::OperatorRequest{ca::Profile::kDevice, 30}});
  if (!issued) {
    state.SkipWithError(issued.error().message().c_str());
  }
  return issued.has_value();
}

std::string TempDb(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("anchor-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / (name + ".db")).string();
}

// BM_RawSign: EVP_DigestSign over a certificate-sized message with the CA key: the crypto limit.
void BM_RawSign(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  const auto key = crypto::PrivateKey::Generate(type).value();
  const std::vector<uint8_t> tbs(400, 0x5a);
  std::vector<uint8_t> sig(1024);
  for (auto _ : state) {
    const ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
    size_t len = sig.size();
    if (::EVP_DigestSignInit(ctx.get(), nullptr, crypto::internal::SigningDigest(key), nullptr,
                             crypto::internal::Native(key)) != 1 ||
        ::EVP_DigestSign(ctx.get(), sig.data(), &len, tbs.data(), tbs.size()) != 1) {
      state.SkipWithError("EVP_DigestSign failed");
    }
    benchmark::DoNotOptimize(len);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(crypto::KeyTypeName(type)));
}

// BM_RawVerify: EVP_DigestVerify of such a signature: the cost of checking proof of possession.
// With BM_RawSign it gives the bound an issuance cannot pass, 1 / (1/sign + 1/verify).
void BM_RawVerify(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  const auto key = crypto::PrivateKey::Generate(type).value();
  const std::vector<uint8_t> tbs(400, 0x5a);
  std::vector<uint8_t> sig(1024);
  size_t len = sig.size();
  const EVP_MD* md = crypto::internal::SigningDigest(key);
  EVP_PKEY* pkey = crypto::internal::Native(key);
  {
    const ossl::Ptr<EVP_MD_CTX> sign(::EVP_MD_CTX_new());
    if (::EVP_DigestSignInit(sign.get(), nullptr, md, nullptr, pkey) != 1 ||
        ::EVP_DigestSign(sign.get(), sig.data(), &len, tbs.data(), tbs.size()) != 1) {
      state.SkipWithError("EVP_DigestSign failed");
    }
  }
  for (auto _ : state) {
    const ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
    if (::EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1 ||
        ::EVP_DigestVerify(ctx.get(), sig.data(), len, tbs.data(), tbs.size()) != 1) {
      state.SkipWithError("EVP_DigestVerify failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(crypto::KeyTypeName(type)));
}

// BM_Issue: one certificate per call, one transaction per certificate (fsync'd WAL commit), as
// `anchor sign one.csr` or an online enrollment does.
void BM_Issue(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  Fixture f(type,
            state.range(1) == 0 ? ":memory:" : TempDb("issue-" + std::to_string(state.range(0))));
  size_t i = 0;
  for (auto _ : state) {
    if (!IssueOne(f, i++, state)) {
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(crypto::KeyTypeName(type)) + (state.range(1) ? " disk" : " memory"));
}

// BM_IssueConcurrent: P-256 enrollments from several threads through one Authority, as
// `anchor serve`'s workers run them; on disk they share commits (store::GroupCommit), so the
// durable rate approaches the in-memory one as threads pile up behind an fsync.
Fixture* shared_fixture = nullptr;
void BM_IssueConcurrent(benchmark::State& state) {
  const bool disk = state.range(0) == 1;
  if (state.thread_index() == 0) {
    shared_fixture = new Fixture(KeyType::kEcP256, disk ? TempDb("concurrent") : ":memory:");
  }
  size_t i = static_cast<size_t>(state.thread_index());
  for (auto _ : state) {
    if (!IssueOne(*shared_fixture, i++, state)) {
      break;
    }
  }
  if (state.thread_index() == 0) {
    delete shared_fixture;
    shared_fixture = nullptr;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string("ec-p256") + (disk ? " disk" : " memory"));
}

// BM_IssueBatch: a factory batch of 256 CSRs per call, one transaction per 256 (anchor sign
// --out-dir), on disk.
void BM_IssueBatch(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  Fixture f(type, TempDb("batch-" + std::to_string(state.range(0))));
  for (auto _ : state) {
    // Parsing is part of issuance: the CSRs arrive as bytes.
    std::vector<ca::IssueRequest> requests;
    requests.reserve(256);
    for (size_t i = 0; i < 256; ++i) {
      requests.push_back({crypto::Csr::FromDer(f.csr_ders[i % f.csr_ders.size()]).value(),
                          ca::OperatorRequest{ca::Profile::kDevice, 30}});
    }
    auto st = f.authority->IssueBatch(requests, 256, [](auto, size_t) { return OkStatus(); });
    if (!st) {
      state.SkipWithError(st.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetLabel(std::string(crypto::KeyTypeName(type)) + " disk");
}

// BM_CheckBeforeIssue: what every issuance now adds before its row is written: the re-parse, the
// chain to the root (anchor's verifier, strict, for the profile's purpose), validity nesting,
// key parameters, the profile's usages and lint, on certificates this CA just issued.
void BM_CheckBeforeIssue(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  Fixture f(type, ":memory:");
  std::vector<crypto::Certificate> certs;
  for (const auto& der : f.csr_ders) {
    certs.push_back(f.authority
                        ->Issue({crypto::Csr::FromDer(der).value(),
                                 ca::OperatorRequest{ca::Profile::kDevice, 30}})
                        .value()
                        .cert);
  }
  const ca::IssuanceCheck check{{*f.intermediate, *f.root},
                                ca::Profile::kDevice,
                                f.clock.Now(),
                                /*issuer_chain_verified=*/true};  // as the authority runs it
  size_t i = 0;
  for (auto _ : state) {
    const ca::Report r = ca::CheckBeforeIssue(certs[i++ % certs.size()], check);
    if (!r.Ok()) {
      state.SkipWithError("a certificate of this CA failed the check");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(crypto::KeyTypeName(type)));
}

// BM_ParseIssued: parsing an issued certificate from its DER, which SignCertificate now does so
// that the check (and everyone after it) sees exactly what a relying party will: the other part
// of what verification before issuance costs.
void BM_ParseIssued(benchmark::State& state) {
  const KeyType type = kTypes[state.range(0)];
  Fixture f(type, ":memory:");
  const std::vector<uint8_t> der = f.authority
                                       ->Issue({crypto::Csr::FromDer(f.csr_ders[0]).value(),
                                                ca::OperatorRequest{ca::Profile::kDevice, 30}})
                                       .value()
                                       .cert.ToDer();
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::Certificate::FromDer(der));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(crypto::KeyTypeName(type)));
}

BENCHMARK(BM_RawSign)->DenseRange(0, 2)->UseRealTime();
BENCHMARK(BM_RawVerify)->DenseRange(0, 2)->UseRealTime();
BENCHMARK(BM_ParseIssued)->DenseRange(0, 2)->UseRealTime();
BENCHMARK(BM_CheckBeforeIssue)->DenseRange(0, 2)->UseRealTime();
BENCHMARK(BM_Issue)->ArgsProduct({{0, 1, 2}, {0, 1}})->UseRealTime();
BENCHMARK(BM_IssueBatch)->DenseRange(0, 2)->UseRealTime();
BENCHMARK(BM_IssueConcurrent)->DenseRange(0, 1)->ThreadRange(1, 32)->UseRealTime();

// RateReporter prints as usual and remembers items/s per benchmark for the ratio table.
class RateReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) {
        rates[r.benchmark_name()] = it->second.value;
      }
    }
  }
  std::map<std::string, double> rates;
};

}  // namespace
}  // namespace anchor

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  anchor::RateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-10s %12s %14s %14s %14s   %s\n", "key", "raw sign/s", "issue mem/s",
              "issue disk/s", "batch disk/s", "issuance / raw signature (memory, disk, batch)");
  const char* names[] = {"ec-p256", "ed25519", "rsa-2048"};
  for (int t = 0; t < 3; ++t) {
    auto rate = [&](const std::string& n) {
      const auto it = reporter.rates.find(n);
      return it == reporter.rates.end() ? 0.0 : it->second;
    };
    const std::string ts = std::to_string(t);
    const double raw = rate("BM_RawSign/" + ts + "/real_time");
    const double mem = rate("BM_Issue/" + ts + "/0/real_time");
    const double disk = rate("BM_Issue/" + ts + "/1/real_time");
    const double batch = rate("BM_IssueBatch/" + ts + "/real_time");
    if (raw > 0) {
      std::printf("%-10s %12.0f %14.0f %14.0f %14.0f   %.2f  %.2f  %.2f\n", names[t], raw, mem,
                  disk, batch, mem / raw, disk / raw, batch / raw);
    }
  }
  std::printf("\n%-10s %10s %10s %14s %16s   %s\n", "key", "check us", "parse us", "issue mem us",
              "without both/s", "share of an issuance (memory)");
  for (int t = 0; t < 3; ++t) {
    auto rate = [&](const std::string& n) {
      const auto it = reporter.rates.find(n);
      return it == reporter.rates.end() ? 0.0 : it->second;
    };
    const std::string ts = std::to_string(t);
    const double check = rate("BM_CheckBeforeIssue/" + ts + "/real_time");
    const double parse = rate("BM_ParseIssued/" + ts + "/real_time");
    const double mem = rate("BM_Issue/" + ts + "/0/real_time");
    if (check > 0 && parse > 0 && mem > 0) {
      const double check_us = 1e6 / check, parse_us = 1e6 / parse, issue_us = 1e6 / mem;
      std::printf("%-10s %10.1f %10.1f %14.1f %16.0f   %.0f%%\n", names[t], check_us, parse_us,
                  issue_us, 1e6 / (issue_us - check_us - parse_us),
                  100 * (check_us + parse_us) / issue_us);
    }
  }
  std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                              ("anchor-bench-" + std::to_string(::getpid())));
  return 0;
}
