// SPDX-License-Identifier: Apache-2.0
// The router without a socket: an expired client certificate is refused everywhere but
// simplereenroll, where the renewal grace period decides; OCSP over POST and GET in the forms
// real clients send.
#include "server/router.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include "crypto/base64.h"
#include "crypto/internal/der.h"
#include "crypto/internal/handles.h"  // OCSP requests built with OpenSSL, not with anchor
#include "testlib/test_ca.h"

namespace anchor::server {
namespace {

using anchor::testing::TestCa;

http::Request Make(const std::string& method, const std::string& target,
                   const crypto::Certificate* peer = nullptr) {
  http::Request r;
  r.method = method;
  r.target = target;
  if (peer != nullptr) {
    r.peer_chain.push_back(*peer);
  }
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  explicit RouterTest(int grace_seconds = 3600) : ca_(Config(grace_seconds)) {}

  static ca::CaConfig Config(int grace_seconds) {
    ca::CaConfig config = ca::CaConfig::Defaults();
    config.server.renewal_grace_seconds = grace_seconds;
    return config;
  }

  // Issue issues a certificate for `cn` valid one day, keeping its key in key_.
  crypto::Certificate Issue(const std::string& cn, ca::Profile profile) {
    auto csr = crypto::Csr::Create(key_, cn, {}).value();
    return ca_.authority->Issue({std::move(csr), ca::OperatorRequest{profile, 1}}).value().cert;
  }

  http::Response Reenroll(const crypto::Certificate& current) {
    http::Request r = Make("POST", "/.well-known/est/simplereenroll", &current);
    r.headers["Content-Type"] = "application/pkcs10";
    const auto csr = crypto::Csr::Create(key_, current.CommonName(), {}).value();
    r.body = crypto::Base64Encode(csr.ToDer(), /*wrap=*/true);
    return router_.Dispatch(r);
  }

  TestCa ca_;
  crypto::PrivateKey key_ = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  api::Metrics metrics_;
  ocsp::Responder responder_{
      *ca_.intermediate, {*ca_.intermediate, *ca_.inter_key}, *ca_.store, ca_.clock};
  Router router_{*ca_.authority, *ca_.store, responder_, ca_.rng, metrics_};
};

TEST_F(RouterTest, AValidClientCertificateIsServed) {
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  EXPECT_EQ(router_.Dispatch(Make("GET", "/hello", &device)).status, 200);
  EXPECT_EQ(router_.Dispatch(Make("GET", "/api/v1/revocations", &device)).status, 200);
  EXPECT_EQ(router_.Dispatch(Make("GET", "/healthz", &device)).status, 200);
}

TEST_F(RouterTest, AnExpiredClientCertificateIsRefusedEverywhereButSimplereenroll) {
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  const auto admin = Issue("ops", ca::Profile::kAdmin);
  ca_.clock.Advance(std::chrono::hours(24) + std::chrono::minutes(30));  // expired 30 min ago
  for (const auto& [method, target, peer] :
       std::vector<std::tuple<std::string, std::string, const crypto::Certificate*>>{
           {"GET", "/hello", &device},
           {"GET", "/api/v1/revocations?since=0", &device},
           {"GET", "/healthz", &device},
           {"GET", "/.well-known/est/cacerts", &device},
           {"POST", "/.well-known/est/simpleenroll", &device},
           {"GET", "/api/v1/certificates", &admin},
           {"POST", "/api/v1/tokens", &admin},
           {"GET", "/metrics", &admin}}) {
    const http::Response r = router_.Dispatch(Make(method, target, peer));
    EXPECT_EQ(r.status, 401) << method << " " << target;
    EXPECT_NE(r.body.find("expired on"), std::string::npos) << r.body;
    // An admin certificate cannot be renewed over the network; the others may within the grace.
    const bool admin_api = target.rfind("/api/v1/revocations", 0) != 0 &&
                           (target.rfind("/api/", 0) == 0 || target == "/metrics");
    EXPECT_NE(
        r.body.find(admin_api ? "anchor issue --profile admin" : "simplereenroll within 3600 s"),
        std::string::npos)
        << r.body;
    EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << "one line: " << r.body;
  }
  EXPECT_EQ(Reenroll(device).status, 200) << "within the grace period, renewal is the way out";
}

TEST_F(RouterTest, BeyondTheGracePeriodRenewalSaysEnrollAgain) {
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  ca_.clock.Advance(std::chrono::hours(26));  // expired 2 h ago, grace 1 h
  const http::Response late = Reenroll(device);
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("enroll again"), std::string::npos) << late.body;
  EXPECT_EQ(ca_.store->CountCertificates().value(), 1) << "nothing issued";
}

TEST_F(RouterTest, TheTlsVerdictAloneIsEnough) {
  // TLS saw the leaf expired (peer_expired) even if the clock here has not caught up.
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  http::Request r = Make("GET", "/hello", &device);
  r.peer_expired = true;
  EXPECT_EQ(router_.Dispatch(r).status, 401);
  r.peer_expired = false;
  EXPECT_EQ(router_.Dispatch(r).status, 200);
}

class NoGraceRouterTest : public RouterTest {
 protected:
  NoGraceRouterTest() : RouterTest(0) {}
};

TEST_F(NoGraceRouterTest, WithoutAGracePeriodTheOnlyWayIsANewEnrollment) {
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  ca_.clock.Advance(std::chrono::hours(25));
  const http::Response hello = router_.Dispatch(Make("GET", "/hello", &device));
  EXPECT_EQ(hello.status, 401);
  EXPECT_NE(hello.body.find("enroll again with a token"), std::string::npos) << hello.body;
  EXPECT_EQ(hello.body.find("simplereenroll"), std::string::npos) << hello.body;
  EXPECT_EQ(Reenroll(device).status, 401);
}

// Every refusal's status comes from its code (http::kStatuses); the words are the ones clients
// and operators have always seen.
TEST_F(RouterTest, RefusalsKeepTheirStatusAndWords) {
  http::Request plain = Make("GET", "/hello");
  plain.secure = false;
  http::Request enroll_type = Make("POST", "/.well-known/est/simpleenroll");
  enroll_type.headers["Content-Type"] = "text/plain";
  enroll_type.body = "x";
  http::Request enroll_big = Make("POST", "/.well-known/est/simpleenroll");
  enroll_big.headers["Content-Type"] = "application/pkcs10";
  enroll_big.body = std::string(est::kMaxBodyBytes + 1, 'A');
  http::Request ocsp_type = Make("POST", "/ocsp");
  ocsp_type.headers["Content-Type"] = "application/json";
  for (const auto& [request, status, body] :
       std::vector<std::tuple<http::Request, int, std::string>>{
           {plain, 403, "this endpoint is served over HTTPS only\n"},
           {Make("GET", "/nowhere"), 404, "no such endpoint: GET /nowhere\n"},
           {Make("DELETE", "/healthz"), 404, "no such endpoint: DELETE /healthz\n"},
           {enroll_type, 415,
            "send the CSR as Content-Type: application/pkcs10 (base64 DER PKCS#10)\n"},
           {enroll_big, 413, "the request body is larger than 64 KiB\n"},
           {ocsp_type, 415, "send Content-Type: application/ocsp-request\n"},
           {Make("GET", "/ocsp/%zz"), 400,
            "the path after /ocsp/ is not a URL-encoded base64 OCSP request\n"},
           {Make("GET", "/api/v1/revocations?since=-1"), 400,
            "since must be the cursor of the last answer (an integer >= 0)\n"},
           {Make("GET", "/api/v1/revocations?limit=0"), 400,
            "limit must be between 1 and 10000\n"}}) {
    const http::Response r = router_.Dispatch(request);
    EXPECT_EQ(r.status, status) << request.method << " " << request.target;
    EXPECT_EQ(r.body, body) << request.method << " " << request.target;
    EXPECT_EQ(r.content_type, "text/plain");
    EXPECT_TRUE(r.headers.empty()) << "no challenge, no Retry-After on a 4xx of this kind";
    EXPECT_TRUE(r.log.empty());
  }
}

// OcspRequestFor builds a nonce-less request for `cert` with OpenSSL, as relying parties do.
std::vector<uint8_t> OcspRequestFor(const crypto::Certificate& cert,
                                    const crypto::Certificate& issuer) {
  const ossl::Ptr<OCSP_REQUEST> req(OCSP_REQUEST_new());
  OCSP_request_add0_id(req.get(), OCSP_cert_to_id(nullptr, crypto::internal::Native(cert),
                                                  crypto::internal::Native(issuer)));
  return crypto::internal::I2d(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(req.get()));
}

// IsSuccessfulOcsp is true for a DER OCSPResponse with status "successful".
bool IsSuccessfulOcsp(const std::string& body) {
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  const ossl::Ptr<OCSP_RESPONSE> resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(body.size())));
  return resp != nullptr && OCSP_response_status(resp.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL;
}

// Escape percent-encodes '+', '/' and '=' with hex digits in `upper` or lower case.
std::string Escape(const std::string& b64, bool upper) {
  std::string out;
  for (const char c : b64) {
    if (c == '+' || c == '/' || c == '=') {
      char buf[4];
      std::snprintf(buf, sizeof buf, upper ? "%%%02X" : "%%%02x", c);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

TEST_F(RouterTest, OcspPostTakesTheMediaTypeInAnySpelling) {
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  const auto der = OcspRequestFor(device, *ca_.intermediate);
  for (const char* type : {"application/ocsp-request", "Application/OCSP-Request",
                           "application/ocsp-request ; charset=binary"}) {
    for (const char* path : {"/ocsp", "/ocsp/"}) {
      http::Request r = Make("POST", path);
      r.headers["content-type"] = type;
      r.body.assign(der.begin(), der.end());
      const http::Response answer = router_.Dispatch(r);
      EXPECT_EQ(answer.status, 200) << type << " " << path;
      EXPECT_TRUE(IsSuccessfulOcsp(answer.body)) << type << " " << path;
    }
  }
  for (const char* type : {"application/ocsp-requestx", "application/ocsp", "", "text/plain"}) {
    http::Request r = Make("POST", "/ocsp");
    r.headers["Content-Type"] = type;
    r.body.assign(der.begin(), der.end());
    EXPECT_EQ(router_.Dispatch(r).status, 415) << type;
  }
}

TEST_F(RouterTest, OcspGetTakesEveryUrlEncodingOfTheBase64) {
  const auto device = Issue("meter-1", ca::Profile::kDevice);
  // Find a request whose base64 holds '+', '/' or '=': serials are random, so issue until one
  // does (each try is equally likely to hold them; a few suffice).
  std::string b64 = crypto::Base64Encode(OcspRequestFor(device, *ca_.intermediate));
  for (int i = 0; b64.find_first_of("+/") == std::string::npos && i < 50; ++i) {
    b64 = crypto::Base64Encode(OcspRequestFor(
        Issue("meter-" + std::to_string(i), ca::Profile::kDevice), *ca_.intermediate));
  }
  ASSERT_NE(b64.find_first_of("+/="), std::string::npos);
  for (const std::string& path : {"/ocsp/" + b64, "/ocsp/" + Escape(b64, true),
                                  "/ocsp/" + Escape(b64, false), "/ocsp//" + Escape(b64, true)}) {
    const http::Response answer = router_.Dispatch(Make("GET", path));
    EXPECT_EQ(answer.status, 200) << path;
    EXPECT_TRUE(IsSuccessfulOcsp(answer.body)) << path;
  }
  EXPECT_EQ(router_.Dispatch(Make("GET", "/ocsp/" + b64.substr(1))).status, 400);
  EXPECT_EQ(router_.Dispatch(Make("GET", "/ocsp/%zz" + b64)).status, 400);
  EXPECT_EQ(router_.Dispatch(Make("GET", "/ocsp/")).status, 400);
}

TEST(RouteLabelTest, EveryGenerationsPathsCountWithTheFirstOnes) {
  EXPECT_EQ(Router::RouteLabel("/crl"), "/crl");
  EXPECT_EQ(Router::RouteLabel("/crl/2"), "/crl");
  EXPECT_EQ(Router::RouteLabel("/crl/17"), "/crl");
  EXPECT_EQ(Router::RouteLabel("/intermediate.crt"), "/intermediate.crt");
  EXPECT_EQ(Router::RouteLabel("/intermediate/3.crt"), "/intermediate.crt");
  EXPECT_EQ(Router::RouteLabel("/ocsp/MEIw"), "/ocsp");
  // Anything else stays "other": a client cannot grow the label set.
  EXPECT_EQ(Router::RouteLabel("/crl/x"), "other");
  EXPECT_EQ(Router::RouteLabel("/intermediate/3.pem"), "other");
  EXPECT_EQ(Router::RouteLabel("/nothing"), "other");
}

}  // namespace
}  // namespace anchor::server
