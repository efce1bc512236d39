// SPDX-License-Identifier: Apache-2.0
#include "ocsp/responder.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include "crypto/internal/der.h"
#include "crypto/internal/handles.h"  // requests built and answers read with OpenSSL, not anchor
#include "crypto/pkcs7.h"
#include "testlib/forwarding_store.h"
#include "testlib/matchers.h"
#include "testlib/test_ca.h"

namespace anchor::ocsp {
namespace {

using anchor::testing::IsOk;
using anchor::testing::MakeCsr;
using anchor::testing::TestCa;

// RequestWith builds a request for `id` (which it takes) with OpenSSL's own OCSP API, as a
// relying party would, with a nonce.
std::vector<uint8_t> RequestWith(OCSP_CERTID* id, bool nonce = true) {
  const ossl::Ptr<OCSP_REQUEST> req(OCSP_REQUEST_new());
  OCSP_request_add0_id(req.get(), id);
  if (nonce) {
    OCSP_request_add1_nonce(req.get(), nullptr, -1);
  }
  return crypto::internal::I2d(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(req.get()));
}

std::vector<uint8_t> RequestFor(const crypto::Certificate& cert, const crypto::Certificate& issuer,
                                bool nonce = true) {
  return RequestWith(
      OCSP_cert_to_id(nullptr, crypto::internal::Native(cert), crypto::internal::Native(issuer)),
      nonce);
}

// StatusIn reads the single status of a response with OpenSSL, checking its signature first.
int StatusIn(const std::vector<uint8_t>& der, const crypto::Certificate& root, int* reason) {
  const unsigned char* p = der.data();
  const ossl::Ptr<OCSP_RESPONSE> resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (resp == nullptr) {
    return -100;
  }
  const ossl::Ptr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(resp.get()));
  if (basic == nullptr) {
    return -OCSP_response_status(resp.get());
  }
  const ossl::Ptr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), crypto::internal::Native(root));
  if (OCSP_basic_verify(basic.get(), nullptr, store.get(), 0) != 1) {
    return -200;
  }
  ASN1_GENERALIZEDTIME* rev = nullptr;
  return OCSP_single_get0_status(OCSP_resp_get0(basic.get(), 0), reason, &rev, nullptr, nullptr);
}

TEST(ResponderTest, GoodThenRevokedWithReason) {
  TestCa ca;
  const auto cert =
      ca.authority->Issue({MakeCsr("dev-1"), ca::OperatorRequest{ca::Profile::kDevice, 30}})
          .value()
          .cert;
  const Responder responder(*ca.intermediate, {*ca.intermediate, *ca.inter_key}, *ca.store,
                            ca.clock);
  int reason = -1;
  EXPECT_EQ(StatusIn(responder.Respond(RequestFor(cert, *ca.intermediate)), *ca.root, &reason),
            V_OCSP_CERTSTATUS_GOOD);
  ASSERT_THAT(ca.authority->Revoke(cert.SerialHex(), 1), IsOk());
  EXPECT_EQ(StatusIn(responder.Respond(RequestFor(cert, *ca.intermediate)), *ca.root, &reason),
            V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(reason, 1);
}

// RequestForSerial asks about `serial` under `issuer`, a certificate that may not exist.
std::vector<uint8_t> RequestForSerial(const crypto::Certificate& issuer, long serial) {
  const ossl::Ptr<ASN1_INTEGER> n(ASN1_INTEGER_new());
  ASN1_INTEGER_set(n.get(), serial);
  X509* x509 = crypto::internal::Native(issuer);
  return RequestWith(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(x509),
                                      X509_get0_pubkey_bitstr(x509), n.get()));
}

TEST(ResponderTest, UnknownSerialUnauthorizedIssuerMalformedGarbage) {
  TestCa ca;
  TestCa other;
  const auto foreign =
      other.authority->Issue({MakeCsr("x"), ca::OperatorRequest{ca::Profile::kClient, 30}})
          .value()
          .cert;
  const Responder responder(*ca.intermediate, {*ca.intermediate, *ca.inter_key}, *ca.store,
                            ca.clock);
  int reason = -1;
  EXPECT_EQ(
      StatusIn(responder.Respond(RequestForSerial(*ca.intermediate, 12345)), *ca.root, &reason),
      V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_EQ(
      StatusIn(responder.Respond(RequestFor(foreign, *other.intermediate)), *ca.root, &reason),
      -OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  const std::vector<uint8_t> junk = {0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_EQ(StatusIn(responder.Respond(junk), *ca.root, &reason),
            -OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

TEST(ResponderTest, NoncelessResponsesAreCachedUntilARevocationOrHalfTheirValidity) {
  TestCa ca;
  const Responder responder(*ca.intermediate, {*ca.intermediate, *ca.inter_key}, *ca.store,
                            ca.clock);
  const auto cert =
      ca.authority->Issue({MakeCsr("dev-1"), ca::OperatorRequest{ca::Profile::kClient}})
          .value()
          .cert;
  const auto other =
      ca.authority->Issue({MakeCsr("dev-2"), ca::OperatorRequest{ca::Profile::kClient}})
          .value()
          .cert;
  const auto request = RequestFor(cert, *ca.intermediate, /*nonce=*/false);
  const auto first = responder.Respond(request);
  ca.clock.Advance(std::chrono::seconds(60));
  EXPECT_EQ(responder.Respond(request), first) << "a repeated request is answered from the cache";
  int reason = 0;
  EXPECT_EQ(StatusIn(first, *ca.root, &reason), V_OCSP_CERTSTATUS_GOOD);

  // A revocation of another certificate invalidates too (the cache keys on the revocation
  // sequence): a fresh signature, still good.
  ASSERT_THAT(ca.authority->Revoke(other.SerialHex(), 1), IsOk());
  const auto after_other = responder.Respond(request);
  EXPECT_NE(after_other, first);
  EXPECT_EQ(StatusIn(after_other, *ca.root, &reason), V_OCSP_CERTSTATUS_GOOD);

  ASSERT_THAT(ca.authority->Revoke(cert.SerialHex(), 1), IsOk());
  EXPECT_EQ(StatusIn(responder.Respond(request), *ca.root, &reason), V_OCSP_CERTSTATUS_REVOKED)
      << "the cache never hides a revocation";

  const auto cached = responder.Respond(request);
  ca.clock.Advance(std::chrono::minutes(31));  // past half of the 1 h validity
  EXPECT_NE(responder.Respond(request), cached) << "refreshed after half its validity";
}

TEST(ResponderTest, RequestsWithANonceAreSignedAfresh) {
  TestCa ca;
  const Responder responder(*ca.intermediate, {*ca.intermediate, *ca.inter_key}, *ca.store,
                            ca.clock);
  const auto cert =
      ca.authority->Issue({MakeCsr("dev-1"), ca::OperatorRequest{ca::Profile::kClient}})
          .value()
          .cert;
  const auto request = RequestFor(cert, *ca.intermediate, /*nonce=*/true);
  EXPECT_NE(responder.Respond(request), responder.Respond(request));
}

TEST(Pkcs7Test, CertsOnlyRoundTrip) {
  TestCa ca;
  const auto der = crypto::CertsOnlyPkcs7({*ca.intermediate, *ca.root});
  ASSERT_THAT(der, IsOk());
  const auto certs = crypto::CertsFromPkcs7(*der);
  ASSERT_THAT(certs, IsOk());
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ((*certs)[0].Sha256Fingerprint(), ca.intermediate->Sha256Fingerprint());
  EXPECT_FALSE(crypto::CertsFromPkcs7(std::vector<uint8_t>{0x30, 0x00}));
}

// FailingReads is a store whose certificate lookups fail with `code`; the rest goes to `real`.
class FailingReads final : public anchor::testing::ForwardingStore {
 public:
  FailingReads(store::Store& real, Code code) : ForwardingStore(real), code_(code) {}
  Result<store::CertificateRecord> FindBySerial(std::string_view) override {
    return Error(code_, "reading certificate: database is locked");
  }

 private:
  Code code_;
};

TEST(ResponderTest, AStoreThatCannotBeReadNowIsTryLaterAnyOtherFailureInternalError) {
  TestCa ca;
  const auto cert =
      ca.authority->Issue({MakeCsr("dev-1"), ca::OperatorRequest{ca::Profile::kClient}})
          .value()
          .cert;
  int reason = 0;
  FailingReads locked(*ca.store, Code::kUnavailable);
  const Responder busy(*ca.intermediate, {*ca.intermediate, *ca.inter_key}, locked, ca.clock);
  EXPECT_EQ(StatusIn(busy.Respond(RequestFor(cert, *ca.intermediate)), *ca.root, &reason),
            -OCSP_RESPONSE_STATUS_TRYLATER);
  FailingReads broken(*ca.store, Code::kInternal);
  const Responder failing(*ca.intermediate, {*ca.intermediate, *ca.inter_key}, broken, ca.clock);
  EXPECT_EQ(StatusIn(failing.Respond(RequestFor(cert, *ca.intermediate)), *ca.root, &reason),
            -OCSP_RESPONSE_STATUS_INTERNALERROR);
}

// SecondGeneration is a TestCa after `anchor ca rotate`: generation 2 (its own key, CN "... G2")
// issues, generation 1 is retired and answers for what it issued, both over one store.
struct SecondGeneration {
  explicit SecondGeneration(TestCa& ca) {
    key = std::make_unique<crypto::PrivateKey>(
        crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value());
    crypto::CertTemplate t = ca::IntermediateTemplate("test", ca::NewSerial(ca.rng).value(),
                                                      ca.clock.Now(), 365, ca.root->NotAfter(), {});
    t.common_name = ca::IntermediateCommonName("test", 2);
    cert = std::make_unique<crypto::Certificate>(
        crypto::SignCertificate(t, key->Public(), ca.root.get(), *ca.root_key).value());
    ca::CaConfig config = ca.authority->config();
    config.public_url = "http://ca.test";
    config.issuing_generation = 2;
    authority = std::make_unique<ca::Authority>(
        config, *ca.root, *cert, *key, *ca.store, ca.clock, ca.rng,
        std::vector<ca::Generation>{
            {1, *ca.intermediate, *ca.inter_key, ca.intermediate->Sha256Fingerprint()}});
  }
  std::unique_ptr<crypto::PrivateKey> key;
  std::unique_ptr<crypto::Certificate> cert;
  std::unique_ptr<ca::Authority> authority;
};

// SignedBy is true when the responder ID of the response `der` names `signer` (read with
// OpenSSL; StatusIn checks the signature itself).
bool SignedBy(const std::vector<uint8_t>& der, const crypto::Certificate& signer) {
  const unsigned char* p = der.data();
  const ossl::Ptr<OCSP_RESPONSE> resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  const ossl::Ptr<OCSP_BASICRESP> basic(resp ? OCSP_response_get1_basic(resp.get()) : nullptr);
  X509* found = nullptr;
  return basic != nullptr && OCSP_resp_get0_signer(basic.get(), &found, nullptr) == 1 &&
         X509_cmp(found, crypto::internal::Native(signer)) == 0;
}

TEST(ResponderTest, EachGenerationAnswersForWhatItIssuedAndSignsAsItself) {
  TestCa ca;
  const auto old_cert =
      ca.authority->Issue({MakeCsr("dev-old"), ca::OperatorRequest{ca::Profile::kDevice, 30}})
          .value()
          .cert;
  SecondGeneration g2(ca);
  const auto new_cert =
      g2.authority->Issue({MakeCsr("dev-new"), ca::OperatorRequest{ca::Profile::kDevice, 30}})
          .value()
          .cert;
  EXPECT_EQ(ca.store->FindBySerial(old_cert.SerialHex()).value().issuer_fingerprint,
            ca.intermediate->Sha256Fingerprint());
  EXPECT_EQ(ca.store->FindBySerial(new_cert.SerialHex()).value().issuer_fingerprint,
            g2.cert->Sha256Fingerprint());
  const Responder responder({Issuer{*g2.cert, {*g2.cert, *g2.key}, g2.cert->Sha256Fingerprint()},
                             Issuer{*ca.intermediate,
                                    {*ca.intermediate, *ca.inter_key},
                                    ca.intermediate->Sha256Fingerprint()}},
                            *ca.store, ca.clock);
  int reason = -1;
  // The CertID's issuer hashes (RFC 6960 4.1.1) choose the generation that answers.
  const auto old_answer = responder.Respond(RequestFor(old_cert, *ca.intermediate));
  EXPECT_EQ(StatusIn(old_answer, *ca.root, &reason), V_OCSP_CERTSTATUS_GOOD);
  EXPECT_TRUE(SignedBy(old_answer, *ca.intermediate));
  EXPECT_FALSE(SignedBy(old_answer, *g2.cert));
  const auto new_answer = responder.Respond(RequestFor(new_cert, *g2.cert));
  EXPECT_EQ(StatusIn(new_answer, *ca.root, &reason), V_OCSP_CERTSTATUS_GOOD);
  EXPECT_TRUE(SignedBy(new_answer, *g2.cert));
  // A serial of one generation asked about under the other's name and key is not its to vouch
  // for.
  const auto under = [](const crypto::Certificate& issuer, const crypto::Certificate& cert) {
    X509* i = crypto::internal::Native(issuer);
    return RequestWith(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(i),
                                        X509_get0_pubkey_bitstr(i),
                                        X509_get0_serialNumber(crypto::internal::Native(cert))));
  };
  EXPECT_EQ(StatusIn(responder.Respond(under(*ca.intermediate, new_cert)), *ca.root, &reason),
            V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_EQ(StatusIn(responder.Respond(under(*g2.cert, old_cert)), *ca.root, &reason),
            V_OCSP_CERTSTATUS_UNKNOWN);
  // A CertID mixing one generation's name with the other's key names no issuer of ours.
  EXPECT_EQ(StatusIn(responder.Respond(RequestFor(new_cert, *ca.intermediate)), *ca.root, &reason),
            -OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  ASSERT_THAT(g2.authority->Revoke(old_cert.SerialHex(), 1), IsOk());
  EXPECT_EQ(StatusIn(responder.Respond(RequestFor(old_cert, *ca.intermediate)), *ca.root, &reason),
            V_OCSP_CERTSTATUS_REVOKED);
  // Each generation's CRL lists its own revocations, at the URL its certificates name.
  const auto& generations = g2.authority->generations();
  ASSERT_EQ(generations.size(), 2u);
  EXPECT_EQ(generations[0].number, 2);
  const crypto::Crl old_crl = g2.authority->BuildCrl(generations[1]).value();
  const crypto::Crl new_crl = g2.authority->BuildCrl().value();
  ASSERT_EQ(old_crl.Entries().size(), 1u);
  EXPECT_TRUE(new_crl.Entries().empty());
  EXPECT_TRUE(old_crl.VerifySignedBy(ca.intermediate->GetPublicKey()));
  EXPECT_TRUE(new_crl.VerifySignedBy(g2.cert->GetPublicKey()));
  EXPECT_EQ(old_crl.IssuingDistributionPoints(), std::vector<std::string>{"http://ca.test/crl"});
  EXPECT_EQ(new_crl.IssuingDistributionPoints(), std::vector<std::string>{"http://ca.test/crl/2"});
  EXPECT_GT(new_crl.Number(), old_crl.Number());
}

}  // namespace
}  // namespace anchor::ocsp
