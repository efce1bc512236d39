// SPDX-License-Identifier: Apache-2.0
// File: http_router_fuzzer.cc: untrusted bytes through every route of `anchor serve` (EST
// enroll and re-enroll, OCSP POST and GET, the revocation feed, the admin API), without a socket.
// Whatever the bytes, the answer is a 2xx-4xx status: a 5xx would mean malformed input reached
// a place that does not expect it.
#include <cstdlib>
#include <string>

#include "crypto/base64.h"
#include "server/router.h"
#include "testlib/test_ca.h"

namespace {

using anchor::http::Request;

struct World {
  anchor::testing::TestCa ca;
  anchor::api::Metrics metrics;
  anchor::ocsp::Responder responder{
      *ca.intermediate, {*ca.intermediate, *ca.inter_key}, *ca.store, ca.clock};
  anchor::server::Router router{*ca.authority, *ca.store, responder, ca.rng, metrics, {}};
  std::vector<uint8_t> device = Issue("dev-1", anchor::ca::Profile::kDevice);
  std::vector<uint8_t> admin = Issue("ops", anchor::ca::Profile::kAdmin);

  std::vector<uint8_t> Issue(const std::string& cn, anchor::ca::Profile profile) {
    return ca.authority->Issue({anchor::testing::MakeCsr(cn), anchor::ca::OperatorRequest{profile}})
        .value()
        .cert.ToDer();
  }
};

Request Make(const std::string& method, const std::string& target, std::string body,
             const std::string& type, const std::vector<uint8_t>* peer) {
  Request r;
  r.method = method;
  r.target = target;
  r.body = std::move(body);
  if (!type.empty()) {
    r.headers["Content-Type"] = type;
  }
  if (peer != nullptr) {
    if (auto cert = anchor::crypto::Certificate::FromDer(*peer)) {
      r.peer_chain.push_back(*std::move(cert));
    }
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = new World();
  if (size == 0) {
    return 0;
  }
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string b64 = anchor::crypto::Base64Encode(
      {reinterpret_cast<const uint8_t*>(rest.data()), rest.size()}, true);
  Request r;
  switch (data[0] % 8) {
    case 0:
      r = Make("POST", "/.well-known/est/simpleenroll", b64, "application/pkcs10", nullptr);
      r.headers["Authorization"] = "Bearer anc_00";
      break;
    case 1:
      r = Make("POST", "/.well-known/est/simpleenroll", rest, "application/pkcs10", nullptr);
      r.headers["Authorization"] = "Basic " + rest;
      break;
    case 2:
      r = Make("POST", "/.well-known/est/simplereenroll", b64, "application/pkcs10", &w->device);
      break;
    case 3:
      r = Make("POST", "/ocsp", rest, "application/ocsp-request", nullptr);
      break;
    case 4:
      r = Make("GET", "/ocsp/" + rest, "", "", nullptr);
      break;
    case 5:
      r = Make("GET", "/api/v1/revocations?" + rest, "", "", nullptr);
      break;
    case 6:
      r = Make("POST", "/api/v1/tokens", rest, "application/json", &w->admin);
      break;
    case 7:
      r = Make("GET", "/api/v1/certificates?" + rest, "", "", &w->admin);
      break;
  }
  const anchor::http::Response response = w->router.Dispatch(r);
  if (response.status < 200 || response.status >= 500) {
    std::abort();
  }
  return 0;
}
