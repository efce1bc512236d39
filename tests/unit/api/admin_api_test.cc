// SPDX-License-Identifier: Apache-2.0
// The admin API, the revocation feed and the metrics as pure functions over http::Request.
#include "api/admin_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/revocation_feed.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::api {
namespace {

using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

class AdminApiTest : public ::testing::Test {
 protected:
  crypto::Certificate Issue(const std::string& cn, ca::Profile profile) {
    return ca_.authority->Issue({MakeCsr(cn), ca::OperatorRequest{profile}}).value().cert;
  }
  http::Request As(const crypto::Certificate* who, const std::string& method,
                   const std::string& target, const std::string& body = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    if (!body.empty()) {
      r.headers["Content-Type"] = "application/json";
    }
    if (who != nullptr) {
      r.peer_chain.push_back(*who);
    }
    return r;
  }
  static nlohmann::json Json(const http::Response& r) { return nlohmann::json::parse(r.body); }
  size_t Revocations() { return ca_.store->RevocationsSince(0, 100).value().size(); }

  TestCa ca_;
  Metrics metrics_;
  AdminApi api_{*ca_.authority, *ca_.authenticator, *ca_.store, ca_.rng, metrics_};
  crypto::Certificate admin_ = Issue("ops", ca::Profile::kAdmin);
};

TEST_F(AdminApiTest, OnlyAnUnrevokedAdminCertificateOfThisCaIsLetIn) {
  EXPECT_EQ(api_.Handle(As(nullptr, "GET", "/api/v1/certificates")).status, 401);
  const auto device = Issue("dev-1", ca::Profile::kDevice);
  EXPECT_EQ(api_.Handle(As(&device, "GET", "/api/v1/certificates")).status, 403);
  TestCa other;
  const auto foreign =
      other.authority->Issue({MakeCsr("ops"), ca::OperatorRequest{ca::Profile::kAdmin}})
          .value()
          .cert;
  EXPECT_EQ(api_.Handle(As(&foreign, "GET", "/api/v1/certificates")).status, 403);
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates")).status, 200);
  ASSERT_THAT(ca_.authority->Revoke(admin_.SerialHex(), 0), IsOk());
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates")).status, 403);
}

TEST_F(AdminApiTest, ListsFiltersAndGetsCertificates) {
  const auto device = Issue("dev-1", ca::Profile::kDevice);
  const auto list = Json(api_.Handle(As(&admin_, "GET", "/api/v1/certificates?profile=device")));
  ASSERT_EQ(list["certificates"].size(), 1u);
  EXPECT_EQ(list["certificates"][0]["serial"], device.SerialHex());
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates?status=nope")).status, 400);
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates?limit=0")).status, 400);

  const http::Response one =
      api_.Handle(As(&admin_, "GET", "/api/v1/certificates/" + device.SerialHex()));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(crypto::Certificate::FromPem(Json(one)["pem"].get<std::string>())->SerialHex(),
            device.SerialHex());
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates/00ff")).status, 404);
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates/zz")).status, 400);
  EXPECT_EQ(api_.Handle(As(&admin_, "DELETE", "/api/v1/certificates")).status, 404);
}

TEST_F(AdminApiTest, RevokesOnceAndRefusesBadBodiesWithoutWriting) {
  const auto device = Issue("dev-1", ca::Profile::kDevice);
  const std::string path = "/api/v1/certificates/" + device.SerialHex() + "/revoke";
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", path, "{\"reason\": \"bored\"}")).status, 400);
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", path, "{\"reason\": 1}")).status, 400);
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", path, "[1,2]")).status, 400);
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", path, "{")).status, 400);
  EXPECT_EQ(Revocations(), 0u);
  const http::Response ok =
      api_.Handle(As(&admin_, "POST", path, "{\"reason\": \"keyCompromise\"}"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["reason"], "keyCompromise");
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", path, "")).status, 409);
  EXPECT_EQ(Revocations(), 1u);
  EXPECT_EQ(metrics_.revoked.load(), 1u);
}

TEST_F(AdminApiTest, CreatesTokensButNeverForTheAdminProfile) {
  const http::Response r =
      api_.Handle(As(&admin_, "POST", "/api/v1/tokens",
                     R"({"cn": "dev-9", "sans": ["dev-9.example"], "ttl": "2h"})"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r)["token"].get<std::string>().rfind("anc_", 0), 0u);
  EXPECT_EQ(Json(r)["profile"], "device");
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", "/api/v1/tokens", R"({"cn": "x", "profile": "admin"})"))
                .status,
            403);
  EXPECT_EQ(
      api_.Handle(As(&admin_, "POST", "/api/v1/tokens", R"({"cn": "x", "ttl": "forever"})")).status,
      400);
  EXPECT_EQ(api_.Handle(As(&admin_, "POST", "/api/v1/tokens", R"({"sans": []})")).status, 400);
}

// A renewal's record names the certificate it renewed (its lineage); others have no "renews".
TEST_F(AdminApiTest, ARenewalsRecordNamesTheCertificateItRenewed) {
  const auto old = Issue("meter-1", ca::Profile::kDevice);
  const auto renewed = ca_.Enroll(MakeCsr("meter-1"), ca::RenewalCredential{old}).value().cert;
  const auto j =
      Json(api_.Handle(As(&admin_, "GET", "/api/v1/certificates/" + renewed.SerialHex())));
  EXPECT_EQ(j["renews"], old.SerialHex());
  EXPECT_FALSE(Json(api_.Handle(As(&admin_, "GET", "/api/v1/certificates/" + old.SerialHex())))
                   .contains("renews"));
}

// A misspelt filter must not quietly list everything: unknown query parameters are 400 by name.
TEST_F(AdminApiTest, UnknownQueryParametersAreRefusedByName) {
  const http::Response list = api_.Handle(As(&admin_, "GET", "/api/v1/certificates?cn=dev-1"));
  EXPECT_EQ(list.status, 400);
  EXPECT_NE(list.body.find("unknown query parameter 'cn'"), std::string::npos) << list.body;
  const auto device = Issue("dev-1", ca::Profile::kDevice);
  const http::Response revoke = api_.Handle(
      As(&admin_, "POST",
         "/api/v1/certificates/" + device.SerialHex() + "/revoke?reason=keyCompromise"));
  EXPECT_EQ(revoke.status, 400);
  EXPECT_NE(revoke.body.find("takes none"), std::string::npos) << revoke.body;
  EXPECT_EQ(Revocations(), 0u);
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/metrics?x=1")).status, 400);
  http::Request feed = As(nullptr, "GET", "/api/v1/revocations?since=0&limt=5");
  EXPECT_EQ(RevocationFeed(*ca_.authority, feed).status, 400);
  feed.target = "/api/v1/revocations?since=0&limit=5";
  EXPECT_EQ(RevocationFeed(*ca_.authority, feed).status, 200);
  // Given twice, a parameter would be read once and the other silently dropped.
  for (const char* twice :
       {"/api/v1/revocations?since=0&since=5", "/api/v1/revocations?since=0&wait=2s&wait=50s"}) {
    feed.target = twice;
    const http::Response r = RevocationFeed(*ca_.authority, feed);
    EXPECT_EQ(r.status, 400) << twice;
    EXPECT_NE(r.body.find("is given twice"), std::string::npos) << r.body;
  }
  EXPECT_EQ(
      api_.Handle(As(&admin_, "GET", "/api/v1/certificates?status=valid&status=revoked")).status,
      400);
}

// A member the API does not know is refused by name, and nothing is made: a misspelt "profle"
// would otherwise become the default profile.
TEST_F(AdminApiTest, UnknownBodyMembersAreRefusedByName) {
  const http::Response token = api_.Handle(
      As(&admin_, "POST", "/api/v1/tokens", R"({"cn": "x", "profle": "server", "days": 9})"));
  EXPECT_EQ(token.status, 400);
  EXPECT_NE(token.body.find("unknown member 'days'"), std::string::npos) << token.body;
  const auto device = Issue("dev-1", ca::Profile::kDevice);
  const http::Response revoke =
      api_.Handle(As(&admin_, "POST", "/api/v1/certificates/" + device.SerialHex() + "/revoke",
                     R"({"reason": "keyCompromise", "when": "now"})"));
  EXPECT_EQ(revoke.status, 400);
  EXPECT_NE(revoke.body.find("unknown member 'when'"), std::string::npos) << revoke.body;
  EXPECT_EQ(Revocations(), 0u);
}

TEST_F(AdminApiTest, MetricsAreServedToAdminsInPrometheusFormat) {
  metrics_.issued += 3;
  metrics_.ObserveEnrollment(std::chrono::microseconds(1500));
  metrics_.ObserveEnrollment(std::chrono::seconds(2));
  const http::Response r = api_.Handle(As(&admin_, "GET", "/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("anchor_certificates_issued_total 3\n"), std::string::npos);
  EXPECT_NE(r.body.find("anchor_enrollment_duration_seconds_bucket{le=\"0.001\"} 0\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("anchor_enrollment_duration_seconds_bucket{le=\"0.0025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("anchor_enrollment_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("anchor_enrollment_duration_seconds_count 2\n"), std::string::npos);
}

TEST_F(AdminApiTest, TheRevocationFeedPagesWithACursor) {
  std::vector<std::string> serials;
  for (int i = 0; i < 5; ++i) {
    serials.push_back(Issue("dev-" + std::to_string(i), ca::Profile::kDevice).SerialHex());
    ASSERT_THAT(ca_.authority->Revoke(serials.back(), 1), IsOk());
  }
  http::Request r;
  r.method = "GET";
  r.target = "/api/v1/revocations?since=0&limit=3";
  auto page = Json(RevocationFeed(*ca_.authority, r));
  ASSERT_EQ(page["revocations"].size(), 3u);
  EXPECT_TRUE(page["more"].get<bool>());
  EXPECT_EQ(page["revocations"][0]["serial"], serials[0]);
  EXPECT_EQ(page["revocations"][0]["reason"], "keyCompromise");
  r.target = "/api/v1/revocations?since=" + std::to_string(page["cursor"].get<int64_t>());
  page = Json(RevocationFeed(*ca_.authority, r));
  ASSERT_EQ(page["revocations"].size(), 2u);
  EXPECT_FALSE(page["more"].get<bool>());
  r.target = "/api/v1/revocations?since=" + std::to_string(page["cursor"].get<int64_t>());
  page = Json(RevocationFeed(*ca_.authority, r));
  EXPECT_TRUE(page["revocations"].empty());
  r.target = "/api/v1/revocations?since=abc";
  EXPECT_EQ(RevocationFeed(*ca_.authority, r).status, 400);
  r.target = "/api/v1/revocations?limit=10001";
  EXPECT_EQ(RevocationFeed(*ca_.authority, r).status, 400);
}

TEST_F(AdminApiTest, JsonBodiesTakeEveryContentTypeSpellingOfApplicationJson) {
  for (const char* type :
       {"application/json", "Application/JSON", "application/json; charset=utf-8",
        "application/json ; charset=\"UTF-8\""}) {
    http::Request r = As(&admin_, "POST", "/api/v1/tokens", R"({"cn": "dev-ct"})");
    r.headers["Content-Type"] = type;
    EXPECT_EQ(api_.Handle(r).status, 201) << type;
  }
}

TEST_F(AdminApiTest, JsonBodiesOfAnotherMediaTypeAreRefused) {
  for (const char* type : {"application/jsonp", "text/json", "application/x-www-form-urlencoded",
                           "application/json; charset", ""}) {
    http::Request r = As(&admin_, "POST", "/api/v1/tokens", R"({"cn": "dev-ct"})");
    r.headers["Content-Type"] = type;
    const http::Response answer = api_.Handle(r);
    EXPECT_EQ(answer.status, 400) << type;
    EXPECT_NE(answer.body.find("application/json"), std::string::npos) << answer.body;
  }
}

TEST_F(AdminApiTest, QueryParameterNamesMayBePercentEncoded) {
  Issue("dev-1", ca::Profile::kDevice);
  const http::Response r =
      api_.Handle(As(&admin_, "GET", "/api/v1/certificates?%70rofile=device&limi%74=1"));
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(Json(r)["certificates"].size(), 1u);
  EXPECT_EQ(Json(r)["certificates"][0]["profile"], "device");
  EXPECT_EQ(api_.Handle(As(&admin_, "GET", "/api/v1/certificates?li%6Dit=0")).status, 400);
}

}  // namespace
}  // namespace anchor::api
