// SPDX-License-Identifier: Apache-2.0
// File: fleet.cc: anchor-fleet, the fleet simulation of bench/fleet.sh. N devices, each with its
// own directory, key and TLS connections, run the agent's own flows (agent::Enroll and
// agent::Renew, as anchor-agent does) against a running `anchor serve`:
//   1. the operator makes N one-time tokens through the admin API;
//   2. every device makes its key and enrolls over EST;
//   3. every device renews over mTLS with a new key;
//   4. the operator revokes 10% of them;
//   5. every device tries to connect to Mosquitto with anchor's plugin: the revoked must be
//      refused, the others admitted.
// Each phase prints its progress and its rate; the end says what 100,000 devices would take.
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

#include "agent/device_enrollment.h"
#include "client/admin_client.h"
#include "client/mqtt_session.h"
#include "core/file_io.h"
#include "crypto/key_file.h"

namespace {

using anchor::Status;
using anchor::client::Steady;

struct Options {
  std::string ca_url, ca_cert, admin_cert, admin_key, dir;
  anchor::client::BrokerTarget broker;
  int n = 1000;
  int concurrency = 8;
  int revoke_every = 10;  // 10%
};

std::string DeviceName(int i) { return "dev-" + std::to_string(i); }
std::string DevicePath(const Options& o, int i, const char* ext) {
  return o.dir + "/" + DeviceName(i) + "/device." + ext;
}

// Phase runs `work` for devices 0..n-1 on `concurrency` threads, printing progress every 10%,
// and returns the rate; it stops the program at the first failure.
double Phase(const char* name, int n, int concurrency, const std::function<Status(int)>& work) {
  std::atomic<int> next{0}, done{0};
  std::mutex mu;
  std::string first_error;
  const auto start = Steady::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < concurrency; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < n && first_error.empty(); i = next++) {
        const Status st = work(i);
        std::lock_guard lock(mu);
        if (!st) {
          first_error = DeviceName(i) + ": " + st.error().message();
          return;
        }
        const int d = ++done;
        if (d % std::max(1, n / 10) == 0 || d == n) {
          const double s = std::chrono::duration<double>(Steady::now() - start).count();
          std::printf("  %-8s %6d/%d  %7.1f/s\n", name, d, n, d / s);
          std::fflush(stdout);
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  if (!first_error.empty()) {
    std::fprintf(stderr, "anchor-fleet: %s failed: %s\n", name, first_error.c_str());
    std::exit(1);
  }
  return n / std::chrono::duration<double>(Steady::now() - start).count();
}

anchor::client::HttpsClient AdminConnection(const Options& o) {
  anchor::client::TlsOptions tls;
  tls.ca_pem = anchor::ReadFile(o.ca_cert).value();
  tls.cert_file = o.admin_cert;
  tls.key_file = o.admin_key;
  return anchor::client::HttpsClient::Create(tls).value();
}

// Trust is a device's view of the CA: the replicas of --ca-url (a copy of `servers`, so that the
// whole fleet moves off a replica together, as a fleet of agents each does by itself).
anchor::agent::ServerTrust Trust(const Options& o, const anchor::client::ServerList& servers) {
  anchor::agent::ServerTrust trust;
  trust.servers = servers;
  trust.ca_cert = o.ca_cert;
  return trust;
}

anchor::agent::DeviceFiles Files(const Options& o, int i) {
  return {DevicePath(o, i, "key"), DevicePath(o, i, "crt"), ""};
}

int Run(const Options& o) {
  std::printf("anchor-fleet: %d devices, %d at a time, against %s\n", o.n, o.concurrency,
              o.ca_url.c_str());
  auto servers = anchor::client::ServerList::Parse({o.ca_url}, "--ca-url");
  if (!servers) {
    std::fprintf(stderr, "anchor-fleet: %s\n", servers.error().message().c_str());
    return 2;
  }
  const auto log_switch = [](const std::string& line) {
    std::fprintf(stderr, "anchor-fleet: %s\n", line.c_str());
  };
  servers->SetSwitchLog(log_switch);
  // The devices spread over the replicas: device i asks replica i mod k first. Each share has a
  // list of its own, so that a failover moves that share alone, as each agent does by itself.
  std::vector<anchor::client::ServerList> shares;
  const std::vector<std::string>& urls = servers->urls();
  for (size_t r = 0; r < urls.size(); ++r) {
    std::vector<std::string> rotated(urls.begin() + static_cast<std::ptrdiff_t>(r), urls.end());
    rotated.insert(rotated.end(), urls.begin(), urls.begin() + static_cast<std::ptrdiff_t>(r));
    shares.push_back(anchor::client::ServerList::Parse(rotated, "--ca-url").value());
    shares.back().SetSwitchLog(log_switch);
  }
  const auto share = [&](int i) -> const anchor::client::ServerList& {
    return shares[static_cast<size_t>(i) % shares.size()];
  };
  // The operator's work is done one request at a time over one admin connection.
  auto admin_http = AdminConnection(o);
  anchor::client::AdminClient admin(admin_http, *servers);
  std::vector<anchor::SecretBytes> tokens(o.n);
  const double token_rate = Phase("tokens", o.n, 1, [&](int i) -> Status {
    ANCHOR_ASSIGN_OR_RETURN(auto made, admin.CreateToken(DeviceName(i), {}, "device", "1h"));
    tokens[i] = anchor::SecretBytes(made["token"].get<std::string>());
    return anchor::MakeDirectories(o.dir + "/" + DeviceName(i), 0700);
  });
  const double enroll_rate = Phase("enroll", o.n, o.concurrency, [&](int i) -> Status {
    anchor::agent::EnrollRequest request;
    request.trust = Trust(o, share(i));
    request.files = Files(o, i);
    request.common_name = DeviceName(i);
    request.token = std::move(tokens[i]);
    ANCHOR_TRY(anchor::agent::Enroll(request));
    return anchor::OkStatus();
  });
  const double renew_rate = Phase("renew", o.n, o.concurrency, [&](int i) -> Status {
    ANCHOR_TRY(anchor::agent::Renew({Trust(o, share(i)), Files(o, i), /*rekey=*/true, "ec-p256"}));
    return anchor::OkStatus();
  });
  const int revoked_count = (o.n + o.revoke_every - 1) / o.revoke_every;
  const double revoke_rate = Phase("revoke", revoked_count, 1, [&](int k) -> Status {
    ANCHOR_ASSIGN_OR_RETURN(
        auto cert, anchor::crypto::LoadCertificateFile(DevicePath(o, k * o.revoke_every, "crt")));
    ANCHOR_TRY(admin.Revoke(cert.SerialHex(), "cessationOfOperation"));
    return anchor::OkStatus();
  });
  // The broker learns of the revocations from the feed: wait for the last one to be refused.
  const auto revoked_at = Steady::now();
  const int last = (revoked_count - 1) * o.revoke_every;
  for (;;) {
    anchor::client::MqttSession s(o.broker, DevicePath(o, last, "crt"), DevicePath(o, last, "key"));
    if (s.Connect() != 0) {
      break;
    }
    if (Steady::now() - revoked_at > std::chrono::seconds(10)) {
      std::fprintf(stderr, "anchor-fleet: the broker still admits %s 10 s after its revocation\n",
                   DeviceName(last).c_str());
      return 1;
    }
    s.Disconnect();
  }
  const double seen_ms =
      std::chrono::duration<double, std::milli>(Steady::now() - revoked_at).count();
  std::atomic<int> wrongly_admitted{0}, wrongly_refused{0};
  const double check_rate = Phase("connect", o.n, o.concurrency, [&](int i) -> Status {
    anchor::client::MqttSession s(o.broker, DevicePath(o, i, "crt"), DevicePath(o, i, "key"));
    const int rc = s.Connect();
    const bool should_be_refused = i % o.revoke_every == 0;
    if (should_be_refused && rc == 0) {
      ++wrongly_admitted;
    }
    if (!should_be_refused && rc != 0) {
      ++wrongly_refused;
    }
    if (rc == 0) {
      s.Disconnect();
    }
    return anchor::OkStatus();
  });
  std::printf(
      "result: tokens %.0f/s, enroll %.0f/s, renew %.0f/s, revoke %.0f/s, broker connect %.0f/s; "
      "the broker refused the last revoked device %.0f ms after the last revocation; revoked "
      "admitted: %d of %d; "
      "valid refused: %d of %d\n",
      token_rate, enroll_rate, renew_rate, revoke_rate, check_rate, seen_ms,
      wrongly_admitted.load(), revoked_count, wrongly_refused.load(), o.n - revoked_count);
  const double per_device_s = 1 / token_rate + 1 / enroll_rate;
  std::printf(
      "100,000 devices at these rates: tokens + enrollment %.0f min, renewal of all %.0f "
      "min (one CA process, %d clients at a time)\n",
      100000 * per_device_s / 60, 100000 / renew_rate / 60, o.concurrency);
  return wrongly_admitted == 0 && wrongly_refused == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  anchor::client::MqttLibrary library;
  Options o;
  CLI::App app{"anchor-fleet: enroll, renew, revoke 10% of and check a simulated fleet"};
  app.add_option("--ca-url", o.ca_url, "anchor serve; its replicas: URLs separated by commas")
      ->required();
  app.add_option("--ca-cert", o.ca_cert, "its root")->required();
  app.add_option("--admin-cert", o.admin_cert, "admin certificate")->required();
  app.add_option("--admin-key", o.admin_key, "admin key")->required();
  app.add_option("--broker-port", o.broker.port, "Mosquitto with anchor's plugin, on localhost")
      ->required();
  app.add_option("--dir", o.dir, "where the devices keep their files")->required();
  app.add_option("--n", o.n, "devices (default 1000)");
  app.add_option("--concurrency", o.concurrency, "devices at work at once (default 8)");
  CLI11_PARSE(app, argc, argv);
  o.broker.cafile = o.ca_cert;
  return Run(o);
}
