// SPDX-License-Identifier: Apache-2.0
// File: load_client.cc: anchor-load, the one load client for every server benchmark and the
// enrollment storm test, so that anchor and its peers (cfssl, openssl ocsp, nginx) are measured
// by the same client doing the same work.
//
//   anchor-load enroll    --url URL --ca PEM --target anchor|cfssl [--admin-cert C --admin-key K]
//                         [--n N] [--concurrency C] [--fresh] [--serials FILE] [--go FILE]
//   anchor-load ocsp      --url URL [--ca PEM] --request DER... [--get] [--n N] [--concurrency C]
//                         [--fresh]
//   anchor-load handshake --url URL --ca PEM --cert C --key K [--n N] [--concurrency C]
//   anchor-load get       --url URL [--ca PEM] [--n N] [--concurrency C] [--fresh]
//
// http:// or https:// comes from the URL. `ocsp` POSTs the request to URL, or with --get sends
// GET URL/<URL-encoded base64 of the request> (RFC 6960 A.1). `get` is any GET answered 200.
// Work (keys, CSRs, tokens) is prepared before the clock starts; with --go FILE the clock starts
// once FILE exists (so that clients prepared apart send together). It prints one line:
//   mode=enroll target=anchor n=2000 concurrency=32 fresh=0 seconds=1.234 rate=1620.7 errors=0
//   p50_us=4100 p90_us=6000 p99_us=9800 max_us=15000 bytes=812 statuses=200:2000
// (request latencies as the client saw them, the size of the last answer's body, how many
// answers had each HTTP status, 0 for none: a failed connection or a timeout) and exits 1 if any
// request failed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "client/admin_client.h"
#include "client/https_client.h"
#include "core/file_io.h"
#include "crypto/base64.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/pkcs7.h"

namespace {

using anchor::Result;
using anchor::client::HttpResult;
using anchor::client::HttpsClient;
using anchor::client::TlsOptions;

struct Options {
  std::string mode, url, ca, target = "anchor", cert, key, admin_cert, admin_key, serials, go;
  std::vector<std::string> requests;  // ocsp: request i goes to requests[i % size]
  int n = 1000;
  int concurrency = 8;
  bool fresh = false;
  bool get = false;
};

// One unit of work: a request to send and how to check its answer.
struct Job {
  std::string url;
  std::string content_type;  // empty: GET
  std::string body;
  std::vector<std::string> headers;
};

std::string ReadAll(const std::string& path) {
  auto text = anchor::ReadFile(path);
  if (!text) {
    std::fprintf(stderr, "anchor-load: %s\n", text.error().message().c_str());
    std::exit(2);
  }
  return *text;
}

TlsOptions Tls(const Options& o, const std::string& cert, const std::string& key) {
  TlsOptions tls;
  tls.ca_pem = o.ca.empty() ? "" : ReadAll(o.ca);
  tls.verify_server = !o.ca.empty();
  tls.cert_file = cert;
  tls.key_file = key;
  tls.allow_tls12 = true;  // the peers decide; every one here negotiates TLS 1.3
  tls.fresh_connection = o.fresh;
  tls.allow_plain_http = true;
  return tls;
}

// Csrs makes `n` EC P-256 keys and CSRs (CN=load-<i>), before anything is timed.
std::vector<anchor::crypto::Csr> Csrs(int n) {
  std::vector<anchor::crypto::Csr> out;
  for (int i = 0; i < n; ++i) {
    auto key = anchor::crypto::PrivateKey::Generate(anchor::crypto::KeyType::kEcP256).value();
    out.push_back(anchor::crypto::Csr::Create(key, "load-" + std::to_string(i), {}).value());
  }
  return out;
}

// UrlEncode escapes what RFC 6960 A.1 asks a GET to escape in base64 ('+', '/', '=').
std::string UrlEncode(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '+' || c == '/' || c == '=') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<Job> EnrollJobs(const Options& o) {
  const auto csrs = Csrs(o.n);
  std::vector<Job> jobs;
  if (o.target == "cfssl") {
    for (const auto& csr : csrs) {
      jobs.push_back({o.url + "/api/v1/cfssl/sign",
                      "application/json",
                      nlohmann::json{{"certificate_request", csr.ToPem()}}.dump(),
                      {}});
    }
    return jobs;
  }
  // anchor: one one-time token per device, made through the admin API before timing.
  auto http = HttpsClient::Create(Tls(o, o.admin_cert, o.admin_key)).value();
  anchor::client::AdminClient admin(http, o.url);
  for (int i = 0; i < o.n; ++i) {
    auto token = admin.CreateToken("load-" + std::to_string(i), {}, "device", "1h");
    if (!token) {
      std::fprintf(stderr, "anchor-load: token: %s\n", token.error().message().c_str());
      std::exit(2);
    }
    jobs.push_back({o.url + "/.well-known/est/simpleenroll",
                    "application/pkcs10",
                    anchor::crypto::Base64Encode(csrs[i].ToDer(), true),
                    {"Authorization: Bearer " + (*token)["token"].get<std::string>()}});
  }
  return jobs;
}

// SerialOf extracts the issued certificate's serial from an answer (for the uniqueness check).
std::string SerialOf(const Options& o, const HttpResult& r) {
  if (o.target == "cfssl") {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return "";
    auto cert = anchor::crypto::Certificate::FromPem(j["result"]["certificate"].get<std::string>());
    return cert ? cert->SerialHex() : "";
  }
  auto der = anchor::crypto::Base64Decode(r.body);
  if (!der) return "";
  auto certs = anchor::crypto::CertsFromPkcs7(*der);
  return certs && !certs->empty() ? certs->front().SerialHex() : "";
}

int Run(const Options& o) {
  std::vector<Job> jobs;
  std::string cert = o.cert, key = o.key;
  if (o.mode == "enroll") {
    jobs = EnrollJobs(o);
  } else if (o.mode == "ocsp") {
    if (o.requests.empty()) {
      std::fprintf(stderr, "anchor-load: ocsp needs --request\n");
      return 2;
    }
    std::vector<Job> kinds;
    for (const auto& path : o.requests) {
      const std::string der = ReadAll(path);
      const std::string b64 = anchor::crypto::Base64Encode(
          std::span(reinterpret_cast<const uint8_t*>(der.data()), der.size()));
      kinds.push_back(o.get ? Job{o.url + "/" + UrlEncode(b64), "", "", {}}
                            : Job{o.url, "application/ocsp-request", der, {}});
    }
    for (int i = 0; i < o.n; ++i) jobs.push_back(kinds[static_cast<size_t>(i) % kinds.size()]);
  } else {
    jobs.assign(o.n, Job{o.url, "", "", {}});
  }
  // A client's preparation (the tokens, written through the server) slows another's run: with
  // --go, all of them wait for one signal, the file, polled every 10 ms.
  while (!o.go.empty() && !std::filesystem::exists(o.go)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::atomic<size_t> next{0};
  std::atomic<int> errors{0};
  std::mutex mu;
  std::vector<std::string> serials;
  std::map<long, int> statuses;   // HTTP status -> answers; 0: no answer
  std::vector<double> latencies;  // microseconds
  latencies.reserve(jobs.size());
  size_t last_bytes = 0;
  std::string first_error;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < o.concurrency; ++t) {
    workers.emplace_back([&] {
      auto http = HttpsClient::Create(Tls(o, cert, key));
      if (!http) {
        errors += 1;
        return;
      }
      for (size_t i = next++; i < jobs.size(); i = next++) {
        const Job& job = jobs[i];
        const auto t0 = std::chrono::steady_clock::now();
        auto r = job.content_type.empty()
                     ? http->Get(job.url, job.headers)
                     : http->Post(job.url, job.content_type, job.body, job.headers);
        const double us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count();
        std::string serial;
        const bool ok =
            r && r->status == 200 && (o.mode != "enroll" || !(serial = SerialOf(o, *r)).empty());
        std::lock_guard lock(mu);
        latencies.push_back(us);
        statuses[r ? r->status : 0] += 1;
        if (r) last_bytes = r->body.size();
        if (!ok) {
          errors += 1;
          if (first_error.empty()) {
            first_error =
                r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : r.error().message();
          }
        } else if (!serial.empty()) {
          serials.push_back(serial);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  std::string by_status;
  for (const auto& [status, count] : statuses) {
    by_status +=
        (by_status.empty() ? "" : ",") + std::to_string(status) + ":" + std::to_string(count);
  }
  std::printf(
      "mode=%s target=%s n=%zu concurrency=%d fresh=%d seconds=%.3f rate=%.1f errors=%d "
      "p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f bytes=%zu statuses=%s\n",
      o.mode.c_str(), o.mode == "enroll" ? o.target.c_str() : "-", jobs.size(), o.concurrency,
      o.fresh ? 1 : 0, seconds, jobs.size() / seconds, errors.load(), pct(0.5), pct(0.9), pct(0.99),
      latencies.empty() ? 0.0 : latencies.back(), last_bytes, by_status.c_str());
  if (!first_error.empty()) {
    std::fprintf(stderr, "anchor-load: first error: %s\n", first_error.c_str());
  }
  if (!o.serials.empty()) {
    std::ofstream out(o.serials);
    for (const auto& s : serials) out << s << "\n";
  }
  if (o.mode == "enroll" &&
      std::set<std::string>(serials.begin(), serials.end()).size() != serials.size()) {
    std::fprintf(stderr, "anchor-load: duplicate serials\n");
    return 1;
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"anchor-load: the load client of anchor's server benchmarks"};
  app.require_subcommand(1);
  for (const char* mode : {"enroll", "ocsp", "handshake", "get"}) {
    CLI::App* cmd = app.add_subcommand(mode);
    cmd->add_option("--url", o.url, "base URL (enroll) or full URL (ocsp, handshake)")->required();
    cmd->add_option("--ca", o.ca, "PEM to verify the server with (none: no verification)");
    cmd->add_option("--n", o.n, "requests");
    cmd->add_option("--concurrency", o.concurrency, "parallel clients");
    cmd->add_flag("--fresh", o.fresh, "a new connection and full handshake per request");
    cmd->add_option("--cert", o.cert, "client certificate");
    cmd->add_option("--key", o.key, "client key");
    cmd->add_option("--target", o.target, "anchor or cfssl (enroll)");
    cmd->add_option("--admin-cert", o.admin_cert, "admin certificate (anchor tokens)");
    cmd->add_option("--admin-key", o.admin_key, "admin key");
    cmd->add_option("--request", o.requests, "DER OCSP request (ocsp); several are sent in turn");
    cmd->add_flag("--get", o.get, "ocsp: GET URL/<base64 of the request> instead of a POST");
    cmd->add_option("--serials", o.serials, "write the issued serials here (enroll)");
    cmd->add_option("--go", o.go, "start once this file exists (work prepared before)");
    cmd->callback([&o, mode] { o.mode = mode; });
  }
  CLI11_PARSE(app, argc, argv);
  return Run(o);
}
