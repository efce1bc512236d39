// SPDX-License-Identifier: Apache-2.0
// File: key_bench.cc: anchor-key-bench, CSR signatures per second with one device key, a file's
// or a TPM's (bench/tpm_bench.sh): the cost of keeping the key in the TPM.
//
//   anchor-key-bench --key FILE [--tpm TCTI] [--n N] [--threads T]
//
// FILE is a PKCS#8 key or a TSS2 PRIVATE KEY (then in the TPM that --tpm names). Each CSR is
// made (crypto::Csr::Create: one ECDSA signature over SHA-256) and checked. Prints one line of
// key=value results.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "crypto/csr.h"
#include "crypto/key_file.h"
#include "crypto/tpm2_key.h"

int main(int argc, char** argv) {
  std::string key_file, tpm;
  int n = 1000, threads = 1;
  CLI::App app{"anchor-key-bench: CSR signatures per second with a file key or a TPM key"};
  app.add_option("--key", key_file, "PKCS#8 key or TSS2 PRIVATE KEY")->required();
  app.add_option("--tpm", tpm, "TCTI of the TPM the key is in");
  app.add_option("--n", n, "CSRs to make");
  app.add_option("--threads", threads, "threads making them, one key");
  CLI11_PARSE(app, argc, argv);
  anchor::crypto::SetTpm2Tcti(tpm);
  auto key = anchor::crypto::LoadPrivateKeyFile(key_file, nullptr);
  if (!key) {
    std::fprintf(stderr, "anchor-key-bench: %s\n", key.error().message().c_str());
    return 2;
  }
  const bool in_tpm = anchor::crypto::Tpm2KeyPem(*key).has_value();
  std::atomic<int> next{0}, bad{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (next++ < n) {
        auto csr = anchor::crypto::Csr::Create(*key, "bench-device", {});
        if (!csr || !csr->VerifySignature()) {
          ++bad;
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("key=%s n=%d threads=%d seconds=%.3f csr_per_s=%.1f failed=%d\n",
              in_tpm ? "tpm" : "file", n, threads, seconds, n / seconds, bad.load());
  return bad == 0 ? 0 : 1;
}
