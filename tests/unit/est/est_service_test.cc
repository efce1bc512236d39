// SPDX-License-Identifier: Apache-2.0
#include "est/est_service.h"

#include <gtest/gtest.h>

#include "ca/enrollment_token.h"
#include "crypto/base64.h"
#include "crypto/pkcs7.h"
#include "est/credentials.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::est {
namespace {

using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

class EstServiceTest : public ::testing::Test {
 protected:
  std::string NewToken(const std::string& cn) {
    auto t = ca::CreateToken(ca_.authority->policy(), *ca_.store, ca_.rng, ca_.clock,
                             ca::NameRequest{cn, {}}, ca::Profile::kDevice, std::chrono::hours(1))
                 .value();
    return std::string(t.token.data(), t.token.size());
  }
  http::Request Enroll(const crypto::Csr& csr, const std::string& authorization) {
    http::Request r;
    r.method = "POST";
    r.target = "/.well-known/est/simpleenroll";
    r.headers["content-type"] = "application/pkcs10";
    if (!authorization.empty()) {
      r.headers["Authorization"] = authorization;
    }
    r.body = crypto::Base64Encode(csr.ToDer(), /*wrap=*/true);
    return r;
  }
  static std::string Basic(const std::string& token) {
    const std::string pair = "device:" + token;
    return "Basic " +
           crypto::Base64Encode({reinterpret_cast<const uint8_t*>(pair.data()), pair.size()});
  }
  int64_t Rows() { return ca_.store->CountCertificates().value(); }

  TestCa ca_;
  EstService est_{*ca_.authority, *ca_.authenticator};
};

TEST_F(EstServiceTest, CaCertsIsTheChainAsCertsOnlyPkcs7) {
  const http::Response r = est_.CaCerts();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/pkcs7-mime; smime-type=certs-only");
  const auto certs = crypto::CertsFromPkcs7(crypto::Base64Decode(r.body).value());
  ASSERT_THAT(certs, IsOk());
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ((*certs)[1].Sha256Fingerprint(), ca_.root->Sha256Fingerprint());
}

TEST_F(EstServiceTest, EnrollsWithBasicOrBearerTokenOnce) {
  const std::string token = NewToken("sensor-1");
  const http::Response r = est_.SimpleEnroll(Enroll(MakeCsr("sensor-1"), Basic(token)));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto certs = crypto::CertsFromPkcs7(crypto::Base64Decode(r.body).value()).value();
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].CommonName(), "sensor-1");
  EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr("sensor-1"), Basic(token))).status, 401);
  const std::string second = NewToken("sensor-2");
  EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr("sensor-2"), "Bearer " + second)).status, 200);
  EXPECT_EQ(Rows(), 2);
}

TEST_F(EstServiceTest, BadRequestsGetTheirStatusAndLeaveTheTokenUsable) {
  const std::string token = NewToken("sensor-1");
  http::Request r = Enroll(MakeCsr("sensor-1"), Basic(token));

  http::Request wrong_type = r;
  wrong_type.headers["Content-Type"] = "application/json";
  EXPECT_EQ(est_.SimpleEnroll(wrong_type).status, 415);

  http::Request no_auth = Enroll(MakeCsr("sensor-1"), "");
  const http::Response unauthorized = est_.SimpleEnroll(no_auth);
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_FALSE(unauthorized.headers.empty());  // WWW-Authenticate

  http::Request bad_base64 = r;
  bad_base64.body = "!!! not base64 !!!";
  EXPECT_EQ(est_.SimpleEnroll(bad_base64).status, 400);

  http::Request not_a_csr = r;
  not_a_csr.body = crypto::Base64Encode(std::vector<uint8_t>{0x30, 0x03, 0x02, 0x01, 0x01});
  EXPECT_EQ(est_.SimpleEnroll(not_a_csr).status, 400);

  auto der = MakeCsr("sensor-1").ToDer();
  der[der.size() - 2] ^= 1;
  http::Request tampered = r;
  tampered.body = crypto::Base64Encode(der);
  EXPECT_EQ(est_.SimpleEnroll(tampered).status, 400);

  EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr("sensor-9"), Basic(token))).status, 403);
  EXPECT_EQ(
      est_.SimpleEnroll(Enroll(MakeCsr("sensor-1"), Basic("anc_" + std::string(64, 'f')))).status,
      401);

  http::Request huge = r;
  huge.body.assign(kMaxBodyBytes + 1, 'A');
  EXPECT_EQ(est_.SimpleEnroll(huge).status, 413);

  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(est_.SimpleEnroll(r).status, 200);  // the token survived every failure
}

TEST_F(EstServiceTest, TakesEveryContentTypeSpellingTheMediaTypeGrammarAllows) {
  for (const char* type :
       {"application/pkcs10", "Application/PKCS10", "application/pkcs10; charset=us-ascii",
        "application/pkcs10 ; charset=us-ascii", "application/pkcs10\t;charset=\"us-ascii\"",
        "application/pkcs10;", "  application/pkcs10  "}) {
    const std::string cn = "ct-" + std::to_string(Rows());
    http::Request r = Enroll(MakeCsr(cn), "Bearer " + NewToken(cn));
    r.headers["Content-Type"] = type;
    EXPECT_EQ(est_.SimpleEnroll(r).status, 200) << "'" << type << "'";
  }
  const std::string token = NewToken("ct-refused");
  for (const char* type : {"application/pkcs10x", "application/pkcs7-mime", "application / pkcs10",
                           "application/pkcs10; charset", "application/pkcs10, text/plain", ""}) {
    http::Request r = Enroll(MakeCsr("ct-refused"), "Bearer " + token);
    r.headers["Content-Type"] = type;
    EXPECT_EQ(est_.SimpleEnroll(r).status, 415) << "'" << type << "'";
  }
}

TEST_F(EstServiceTest, TakesABodyWrappedAt76CharactersWithCrlf) {
  const std::string cn = "wrapped-1";
  http::Request r = Enroll(MakeCsr(cn), "Bearer " + NewToken(cn));
  const std::string flat = crypto::Base64Encode(MakeCsr(cn).ToDer());
  std::string wrapped;
  for (size_t i = 0; i < flat.size(); i += 76) {
    wrapped += flat.substr(i, 76) + "\r\n";  // RFC 2045 6.8: lines of at most 76 characters
  }
  r.body = wrapped;
  EXPECT_EQ(est_.SimpleEnroll(r).status, 200);
  http::Request padded = Enroll(MakeCsr("wrapped-2"), "Bearer " + NewToken("wrapped-2"));
  padded.body = " \t" + crypto::Base64Encode(MakeCsr("wrapped-2").ToDer()) + "\r\n\r\n";
  EXPECT_EQ(est_.SimpleEnroll(padded).status, 200);
}

TEST_F(EstServiceTest, RefusesABodyWithCharactersOutsideBase64AndItsWhiteSpace) {
  const std::string token = NewToken("garbage-1");
  http::Request r = Enroll(MakeCsr("garbage-1"), "Bearer " + token);
  r.body.insert(10, "*");
  EXPECT_EQ(est_.SimpleEnroll(r).status, 400);
  r.body = "-----BEGIN CERTIFICATE REQUEST-----\n" + r.body;
  EXPECT_EQ(est_.SimpleEnroll(r).status, 400);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(EstServiceTest, TheAuthSchemeIsCaseInsensitive) {
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR   "}) {
    const std::string cn = "auth-" + std::to_string(Rows());
    EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr(cn), scheme + NewToken(cn))).status, 200) << scheme;
  }
  const std::string cn = "auth-basic";
  std::string basic = Basic(NewToken(cn));
  basic.replace(0, 5, "BASIC");
  EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr(cn), basic)).status, 200);
}

TEST_F(EstServiceTest, AnAuthSchemeOtherThanBearerOrBasicIsRefused) {
  const std::string token = NewToken("auth-other");
  for (const std::string& value : std::vector<std::string>{
           "Token " + token, "Bearer" + token, "Bearer", "Digest " + token, "Bearer\t" + token}) {
    EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr("auth-other"), value)).status, 401) << value;
  }
  EXPECT_EQ(est_.SimpleEnroll(Enroll(MakeCsr("auth-other"), "Bearer " + token)).status, 200);
}

TEST(CredentialsTest, ReadsBearerAndBasicPassword) {
  http::Request r;
  r.headers["authorization"] = "bearer abc";
  EXPECT_EQ(std::string(TokenFromRequest(r).value().data(), 3), "abc");
  r.headers["authorization"] =
      "Basic " + crypto::Base64Encode(std::vector<uint8_t>{'u', ':', 'x', 'y'});
  EXPECT_EQ(TokenFromRequest(r).value().size(), 2u);
  r.headers["authorization"] = "Digest whatever";
  EXPECT_FALSE(TokenFromRequest(r));
  r.headers["authorization"] = "Basic !!!";
  EXPECT_FALSE(TokenFromRequest(r));
}

TEST(Base64Test, RoundTripsAndRejectsGarbage) {
  const std::vector<uint8_t> data = {0x00, 0xff, 0x10, 0x20};
  EXPECT_EQ(crypto::Base64Decode(crypto::Base64Encode(data)).value(), data);
  EXPECT_EQ(crypto::Base64Decode("AP8Q\nIA==\n").value(), data);
  EXPECT_FALSE(crypto::Base64Decode("abc"));
  EXPECT_FALSE(crypto::Base64Decode(""));
}

}  // namespace
}  // namespace anchor::est
