// SPDX-License-Identifier: Apache-2.0
// File: mqtt_bench.cc: anchor-mqtt-bench, the client of the broker benchmarks
// (bench/broker_bench.sh). The same client measures Mosquitto with and without anchor's plugin.
//
//   anchor-mqtt-bench connect --port P --cafile F (--cert C --key K | --devices DIR --distinct M)
//                             [--n N] [--concurrency C]
//       full mTLS connections (TCP, TLS 1.3 handshake, CONNECT/CONNACK, DISCONNECT) per second,
//       all with one certificate, or with DIR/dev-<i mod M>.crt (each seen first by the broker);
//       with --in-process (implied by --tpm), the key is loaded once by anchor's crypto layer
//       into one SSL_CTX shared by every connection (MOSQ_OPT_SSL_CTX): the way a key in a TPM
//       (--key holding its TSS2 PRIVATE KEY, --tpm TCTI) signs the handshakes there
//   anchor-mqtt-bench drop --port P --cafile F --devices DIR --n N --ca-url URL
//                          --admin-cert C --admin-key K [--reload CMD] [--wait-ms MS]
//       for each device DIR/dev-<i>.crt: connect, subscribe, revoke it through the admin API,
//       time until the broker drops the connection (after CMD, e.g. a CRL reload), then try to
//       reconnect with it
//
// Each prints one line of key=value results.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "client/admin_client.h"
#include "client/mqtt_session.h"
#include "core/file_io.h"
#include "crypto/key_file.h"
#include "crypto/tls_identity.h"
#include "crypto/tpm2_key.h"

namespace {

using anchor::client::BrokerTarget;
using anchor::client::MqttSession;
using anchor::client::Steady;
using std::chrono::milliseconds;

struct Options {
  BrokerTarget target;
  std::string cert, key, devices, ca_url, ca_cert, admin_cert, admin_key, reload;
  int n = 1000;
  int concurrency = 4;
  int wait_ms = 3000;
  int distinct = 0;
  bool verbose = false;
  std::string tpm;          // TCTI of the TPM --key is in
  bool in_process = false;  // one SSL_CTX from crypto/, shared by every connection
};

// SharedContext is the SSL_CTX of --in-process: the broker verified as "localhost" against
// --cafile, --cert presented with --key (a file key, or a TPM's).
anchor::Result<anchor::crypto::TlsClientContext> SharedContext(const Options& o) {
  anchor::crypto::SetTpm2Tcti(o.tpm);
  ANCHOR_ASSIGN_OR_RETURN(std::string ca_pem, anchor::ReadFile(o.target.cafile));
  ANCHOR_ASSIGN_OR_RETURN(std::string chain_pem, anchor::ReadFile(o.cert));
  ANCHOR_ASSIGN_OR_RETURN(auto chain, anchor::crypto::Certificate::ParseAll(chain_pem));
  ANCHOR_ASSIGN_OR_RETURN(auto key, anchor::crypto::LoadPrivateKeyFile(o.key, nullptr));
  return anchor::crypto::TlsClientContext::Create(
      {.ca_pem = ca_pem, .server_name = o.target.host, .chain = chain, .key = key});
}

int Connect(const Options& o) {
  std::optional<anchor::crypto::TlsClientContext> shared;
  if (o.in_process || !o.tpm.empty()) {
    auto ctx = SharedContext(o);
    if (!ctx) {
      std::fprintf(stderr, "anchor-mqtt-bench: %s\n", ctx.error().message().c_str());
      return 2;
    }
    shared = std::move(ctx).value();
  }
  std::atomic<int> next{0}, accepted{0}, refused{0}, failed{0};
  const auto start = Steady::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < o.concurrency; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < o.n; i = next++) {
        const std::string base = o.devices + "/dev-" + std::to_string(i % std::max(o.distinct, 1));
        auto s = shared ? std::make_unique<MqttSession>(o.target, shared->Native())
                        : std::make_unique<MqttSession>(o.target,
                                                        o.distinct > 0 ? base + ".crt" : o.cert,
                                                        o.distinct > 0 ? base + ".key" : o.key);
        const int rc = s->Connect();
        (rc == 0 ? accepted : rc > 0 ? refused : failed) += 1;
        if (rc == 0) {
          s->Disconnect();
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  std::printf(
      "mode=connect n=%d concurrency=%d seconds=%.3f rate=%.1f accepted=%d refused=%d errors=%d\n",
      o.n, o.concurrency, seconds, o.n / seconds, accepted.load(), refused.load(), failed.load());
  return accepted == o.n ? 0 : 1;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

int Drop(const Options& o) {
  anchor::client::TlsOptions tls;
  tls.ca_pem = anchor::ReadFile(o.ca_cert).value();
  tls.cert_file = o.admin_cert;
  tls.key_file = o.admin_key;
  auto http = anchor::client::HttpsClient::Create(tls).value();
  anchor::client::AdminClient admin(http, o.ca_url);
  std::vector<double> drops;
  int reconnect_refused = 0, never_dropped = 0;
  std::mt19937 random(42);
  for (int i = 0; i < o.n; ++i) {
    const std::string base = o.devices + "/dev-" + std::to_string(i);
    const auto cert = anchor::crypto::LoadCertificateFile(base + ".crt");
    MqttSession s(o.target, base + ".crt", base + ".key");
    if (!cert || s.Connect() != 0 || !s.Subscribe("commands/dev-" + std::to_string(i) + "/#")) {
      std::fprintf(stderr, "anchor-mqtt-bench: dev-%d could not connect and subscribe\n", i);
      return 2;
    }
    s.Watch();
    // A random pause first, so that revocations do not fall at the same point of the plugin's
    // poll cycle each time (this loop would otherwise settle into its rhythm).
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 400)(random)));
    auto revoked = admin.Revoke(cert->SerialHex(), "keyCompromise");
    const auto t0 = Steady::now();
    if (!revoked) {
      std::fprintf(stderr, "anchor-mqtt-bench: revoke: %s\n", revoked.error().message().c_str());
      return 2;
    }
    if (!o.reload.empty() && std::system(o.reload.c_str()) != 0) {
      std::fprintf(stderr, "anchor-mqtt-bench: --reload failed\n");
      return 2;
    }
    const auto deadline = t0 + milliseconds(o.wait_ms);
    while (!s.DroppedAt() && Steady::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    if (const auto at = s.DroppedAt()) {
      drops.push_back(std::chrono::duration<double, std::milli>(*at - t0).count());
      if (o.verbose) {
        std::fprintf(stderr, "dev-%d dropped after %.1f ms\n", i, drops.back());
      }
    } else {
      ++never_dropped;
    }
    MqttSession again(o.target, base + ".crt", base + ".key");
    reconnect_refused += again.Connect() != 0 ? 1 : 0;
  }
  std::printf(
      "mode=drop n=%d dropped=%zu never_dropped=%d median_ms=%.0f p90_ms=%.0f p99_ms=%.0f "
      "worst_ms=%.0f reconnect_refused=%d\n",
      o.n, drops.size(), never_dropped, Percentile(drops, 0.5), Percentile(drops, 0.9),
      Percentile(drops, 0.99), drops.empty() ? 0 : *std::max_element(drops.begin(), drops.end()),
      reconnect_refused);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  anchor::client::MqttLibrary library;
  Options o;
  CLI::App app{"anchor-mqtt-bench: the client of anchor's broker benchmarks"};
  app.require_subcommand(1);
  for (const char* mode : {"connect", "drop"}) {
    CLI::App* cmd = app.add_subcommand(mode);
    cmd->add_option("--port", o.target.port, "the broker's port on localhost")->required();
    cmd->add_option("--cafile", o.target.cafile, "the CA the broker's certificate chains to")
        ->required();
    cmd->add_option("--n", o.n, "connections (connect) or revocations (drop)");
    cmd->add_option("--concurrency", o.concurrency, "parallel clients (connect)");
    cmd->add_option("--cert", o.cert, "client certificate (connect)");
    cmd->add_option("--key", o.key, "client key (connect)");
    cmd->add_option("--devices", o.devices, "directory of dev-<i>.crt/.key");
    cmd->add_option("--distinct", o.distinct,
                    "certificates of --devices to cycle through (connect)");
    cmd->add_option("--ca-url", o.ca_url, "anchor serve (drop)");
    cmd->add_option("--ca-cert", o.ca_cert, "its root (drop)");
    cmd->add_option("--admin-cert", o.admin_cert, "admin certificate (drop)");
    cmd->add_option("--admin-key", o.admin_key, "admin key (drop)");
    cmd->add_option("--reload", o.reload, "command run after each revocation (drop)");
    cmd->add_option("--wait-ms", o.wait_ms, "how long to wait for each drop (drop)");
    cmd->add_flag("--verbose", o.verbose, "print each drop's time (drop)");
    cmd->add_option("--tpm", o.tpm,
                    "TCTI of the TPM that --key (a TSS2 PRIVATE KEY) is in; implies --in-process "
                    "(connect)");
    cmd->add_flag("--in-process", o.in_process,
                  "load --key once into one SSL_CTX shared by every connection (connect)");
  }
  CLI11_PARSE(app, argc, argv);
  return app.got_subcommand("connect") ? Connect(o) : Drop(o);
}
