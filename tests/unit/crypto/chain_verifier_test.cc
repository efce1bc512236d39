// SPDX-License-Identifier: Apache-2.0
#include "crypto/chain_verifier.h"

#include <gtest/gtest.h>

#include "crypto/cert_builder.h"
#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

const Clock::time_point kNow = FromUnixSeconds(1767225600);
const Clock::time_point kCheckedAt = kNow + std::chrono::hours(1);

PrivateKey NewKey() { return PrivateKey::Generate(KeyType::kEcP256).value(); }

// CaTemplate is a CA valid from well before kNow, so only the leaf's validity is ever at stake.
CertTemplate CaTemplate(uint8_t serial, std::string cn, bool self_signed) {
  CertTemplate t;
  t.serial = {serial};
  t.common_name = std::move(cn);
  t.not_before = kNow - std::chrono::hours(1000);
  t.not_after = kNow + std::chrono::hours(1000);
  t.is_ca = true;
  t.key_usage = kKeyCertSign | kCrlSign;
  t.authority_key_id = !self_signed;
  return t;
}

// LeafTemplate is a serverAuth leaf for dns:`host`, valid for 48 hours from kNow.
CertTemplate LeafTemplate(uint8_t serial, const std::string& host) {
  CertTemplate t;
  t.serial = {serial};
  t.common_name = host;
  t.not_before = kNow;
  t.not_after = kNow + std::chrono::hours(48);
  t.key_usage = kDigitalSignature;
  t.ext_key_usage = {ExtKeyUsage::kServerAuth};
  t.sans = {ParseGeneralName("dns:" + host).value()};
  return t;
}

// Pki is a root and a leaf it issued for "host.local"; each test changes one thing of it.
struct Pki {
  explicit Pki(CertTemplate root_template = CaTemplate(0x01, "Root", true))
      : root(SignCertificate(root_template, root_key.Public(), nullptr, root_key).value()) {}

  Certificate Issue(const CertTemplate& t) const {
    return SignCertificate(t, leaf_key.Public(), &root, root_key).value();
  }
  Crl RevocationList(std::vector<RevokedEntry> entries, Clock::time_point next_update) const {
    const CrlTemplate t{1, kNow, next_update, std::move(entries), ""};
    return SignCrl(t, root, root_key).value();
  }
  VerifyOptions Options() const { return VerifyOptions{.trusted = {root}, .at = kCheckedAt}; }

  PrivateKey root_key = NewKey();
  PrivateKey leaf_key = NewKey();
  Certificate root;
  Certificate leaf = Issue(LeafTemplate(0x02, "host.local"));
};

TEST(ChainVerifierTest, AcceptsAValidChainForItsHostAndPurpose) {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.host = "host.local";
  o.purpose = Purpose::kServer;
  const auto verdict = ValidatePath(pki.leaf, o);
  ASSERT_THAT(verdict, IsOk());
  EXPECT_TRUE(verdict->Ok());
  ASSERT_EQ(verdict->chain.size(), 2u);
  EXPECT_EQ(verdict->chain.back().Subject(), "CN=Root");
  EXPECT_THAT(VerifyChain(pki.leaf, o), IsOk());
}

TEST(ChainVerifierTest, AFailureNamesTheCertificateAtFaultInOneLine) {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.at = kNow + std::chrono::hours(49);
  const auto verdict = ValidatePath(pki.leaf, o);
  ASSERT_THAT(verdict, IsOk());  // it ran; the chain is what failed
  ASSERT_FALSE(verdict->Ok());
  const ChainFailure& failure = *verdict->failure;
  EXPECT_EQ(failure.id, "certificate-expired");
  EXPECT_EQ(failure.depth, 0);
  EXPECT_EQ(failure.subject, "CN=host.local");
  EXPECT_TRUE(verdict->chain.empty());
  // The line the CLI prints and the integration tests grep for.
  EXPECT_EQ(failure.Message(), "certificate has expired (depth 0: CN=host.local)");
  const auto chain = VerifyChain(pki.leaf, o);
  ASSERT_THAT(chain, ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(chain.error().message(), failure.Message());
}

TEST(ChainVerifierTest, ValidationThatCannotRunIsAnErrorNotAVerdict) {
  const Pki pki;
  EXPECT_THAT(ValidatePath(pki.leaf, VerifyOptions{.at = kCheckedAt}),
              ErrorIs(Code::kInvalidArgument));  // no trust anchor
  EXPECT_THAT(VerifyChain(pki.leaf, VerifyOptions{.at = kCheckedAt}),
              ErrorIs(Code::kInvalidArgument));
}

TEST(ChainVerifierTest, StrictnessIsWhatRefusesALeafWithoutAuthorityKeyId) {
  const Pki pki;
  CertTemplate t = LeafTemplate(0x03, "host.local");
  t.authority_key_id = false;
  const Certificate leaf = pki.Issue(t);
  VerifyOptions o = pki.Options();
  o.strict = false;
  EXPECT_THAT(VerifyChain(leaf, o), IsOk());
  o.strict = true;
  const auto verdict = ValidatePath(leaf, o);
  ASSERT_THAT(verdict, IsOk());
  ASSERT_FALSE(verdict->Ok());
  EXPECT_EQ(verdict->failure->id, "strict-violation") << verdict->failure->Message();
}

TEST(CrlVerifierTest, AcceptsACrlSignedByItsIssuerWithinItsValidity) {
  const Pki pki;
  const Crl crl = pki.RevocationList({}, kNow + std::chrono::hours(48));
  EXPECT_THAT(VerifyCrl(crl, pki.root, pki.Options()), IsOk());
}

// Each way a CRL fails a relying party's check is refused, and the message says which.
TEST(CrlVerifierTest, RefusesAForgedLapsedEarlyOrMisnamedCrl) {
  const Pki pki;
  const Crl crl = pki.RevocationList({}, kNow + std::chrono::hours(48));
  const auto refused = [&](const Crl& c, const VerifyOptions& o, const std::string& why) {
    const Status st = VerifyCrl(c, pki.root, o);
    ASSERT_THAT(st, ErrorIs(Code::kInvalidArgument)) << why;
    EXPECT_NE(st.error().message().find(why), std::string::npos) << st.error().message();
  };
  // Another key under the same name (its key identifier differs, and so would the signature).
  const Pki forger;
  refused(forger.RevocationList({}, kNow + std::chrono::hours(48)), pki.Options(),
          "authority key identifier");
  VerifyOptions lapsed = pki.Options();
  lapsed.at = kNow + std::chrono::hours(49);
  refused(crl, lapsed, "nextUpdate has passed");
  VerifyOptions early = pki.Options();
  early.at = kNow - std::chrono::hours(1);
  refused(crl, early, "thisUpdate is later");
  const Pki other(CaTemplate(0x01, "Other", true));
  refused(other.RevocationList({}, kNow + std::chrono::hours(48)), pki.Options(),
          "names CN=Other as its issuer");
}

TEST(CrlVerifierTest, RefusesACrlOfAnIssuerWithoutCrlSign) {
  CertTemplate t = CaTemplate(0x01, "Root", true);
  t.key_usage = kKeyCertSign;
  const Pki pki(t);
  const Status st =
      VerifyCrl(pki.RevocationList({}, kNow + std::chrono::hours(48)), pki.root, pki.Options());
  ASSERT_THAT(st, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(st.error().message().find("may not sign CRLs"), std::string::npos);
}

TEST(CrlVerifierTest, RefusesACrlWhoseIssuerDoesNotVerify) {
  const Pki pki;
  const Pki stranger;
  const Status st = VerifyCrl(stranger.RevocationList({}, kNow + std::chrono::hours(48)),
                              stranger.root, pki.Options());  // trusting pki's root only
  ASSERT_THAT(st, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(st.error().message().find("its issuer does not verify"), std::string::npos);
}

// Attempt is a leaf and what it is verified against.
struct Attempt {
  Certificate leaf;
  VerifyOptions options;
};

// FailureCase is one real chain that fails, and the id and depth the verdict must name.
struct FailureCase {
  const char* name;
  const char* id;
  int depth;
  Attempt (*make)();
};

Attempt Expired() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.at = kNow + std::chrono::hours(49);
  return {pki.leaf, std::move(o)};
}

Attempt NotYetValid() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.at = kNow - std::chrono::hours(1);
  return {pki.leaf, std::move(o)};
}

Attempt IssuerNotTrusted() {
  const Pki pki, other;
  VerifyOptions o = pki.Options();
  o.trusted = {other.root};
  return {pki.leaf, std::move(o)};
}

Attempt SelfSignedNotTrusted() {
  const Pki pki, other;
  return {other.root, pki.Options()};
}

Attempt TamperedSignature() {
  const Pki pki;
  std::vector<uint8_t> der = pki.leaf.ToDer();
  der.back() ^= 0x01;  // the last octet of ECDSA's s: same length, another signature
  return {Certificate::FromDer(der).value(), pki.Options()};
}

Attempt OutsideNameConstraints() {
  CertTemplate root = CaTemplate(0x01, "Root", true);
  root.permitted_dns = {"example.com"};
  const Pki pki(root);
  return {pki.leaf, pki.Options()};  // host.local is not under example.com
}

Attempt WrongPurpose() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.purpose = Purpose::kClient;  // the leaf is serverAuth only
  return {pki.leaf, std::move(o)};
}

Attempt WrongHostName() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.host = "other.local";
  return {pki.leaf, std::move(o)};
}

Attempt WrongIpAddress() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.host = "192.0.2.1";
  return {pki.leaf, std::move(o)};
}

Attempt RevokedByCrl() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.crls.push_back(
      pki.RevocationList({{pki.leaf.SerialBytes(), kNow, 1}}, kNow + std::chrono::hours(24)));
  return {pki.leaf, std::move(o)};
}

Attempt CrlOfAnotherCa() {
  const Pki pki, other;
  VerifyOptions o = pki.Options();
  o.crls.push_back(other.RevocationList({}, kNow + std::chrono::hours(24)));
  return {pki.leaf, std::move(o)};
}

Attempt ExpiredCrl() {
  const Pki pki;
  VerifyOptions o = pki.Options();
  o.crls.push_back(pki.RevocationList({}, kNow + std::chrono::minutes(30)));
  return {pki.leaf, std::move(o)};  // checked at kNow + 1h, after the CRL's nextUpdate
}

// IntermediateUnder issues a CA "Intermediate" from `pki`'s root and a leaf from it.
Attempt IntermediateUnder(const Pki& pki) {
  const PrivateKey key = NewKey();
  const Certificate intermediate = SignCertificate(CaTemplate(0x05, "Intermediate", false),
                                                   key.Public(), &pki.root, pki.root_key)
                                       .value();
  const Certificate leaf =
      SignCertificate(LeafTemplate(0x06, "host.local"), NewKey().Public(), &intermediate, key)
          .value();
  VerifyOptions o = pki.Options();
  o.untrusted = {intermediate};
  return {leaf, std::move(o)};
}

Attempt PathLengthExceeded() {
  CertTemplate root = CaTemplate(0x01, "Root", true);
  root.path_len = 0;  // the root may issue leaves only
  return IntermediateUnder(Pki(root));
}

Attempt LeafAsIssuer() {
  const Pki pki;
  const Certificate below =
      SignCertificate(LeafTemplate(0x07, "below.local"), NewKey().Public(), &pki.leaf, pki.leaf_key)
          .value();
  VerifyOptions o = pki.Options();
  o.untrusted = {pki.leaf};
  return {below, std::move(o)};
}

const FailureCase kFailureCases[] = {
    {"fail/expired", "certificate-expired", 0, &Expired},
    {"fail/not-yet-valid", "certificate-not-yet-valid", 0, &NotYetValid},
    {"fail/issuer-not-trusted", "unknown-issuer", 0, &IssuerNotTrusted},
    {"fail/self-signed-not-trusted", "self-signed-not-trusted", 0, &SelfSignedNotTrusted},
    {"fail/tampered-signature", "bad-signature", 0, &TamperedSignature},
    {"fail/outside-name-constraints", "name-constraints-violation", 0, &OutsideNameConstraints},
    {"fail/wrong-purpose", "unsuitable-purpose", 0, &WrongPurpose},
    {"fail/wrong-host-name", "hostname-mismatch", 0, &WrongHostName},
    {"fail/wrong-ip-address", "ip-address-mismatch", 0, &WrongIpAddress},
    {"fail/revoked-by-crl", "certificate-revoked", 0, &RevokedByCrl},
    {"fail/crl-of-another-ca", "crl-missing", 0, &CrlOfAnotherCa},
    {"fail/expired-crl", "crl-expired", 0, &ExpiredCrl},
    // OpenSSL names the CA whose pathLenConstraint is exceeded: the root, above the intermediate.
    {"fail/path-length-exceeded", "path-too-long", 2, &PathLengthExceeded},
    {"fail/leaf-as-issuer", "invalid-ca", 1, &LeafAsIssuer},
};

void PrintTo(const FailureCase& c, std::ostream* os) { *os << c.name; }

class ChainFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(ChainFailureTest, NamesTheReasonById) {
  const FailureCase& c = GetParam();
  const Attempt attempt = c.make();
  const auto verdict = ValidatePath(attempt.leaf, attempt.options);
  ASSERT_THAT(verdict, IsOk());
  ASSERT_FALSE(verdict->Ok());
  EXPECT_EQ(verdict->failure->id, c.id) << verdict->failure->Message();
  EXPECT_EQ(verdict->failure->depth, c.depth) << verdict->failure->Message();
  EXPECT_FALSE(verdict->failure->subject.empty());
  EXPECT_THAT(VerifyChain(attempt.leaf, attempt.options), ErrorIs(Code::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(ChainVerifier, ChainFailureTest, ::testing::ValuesIn(kFailureCases),
                         [](const auto& info) {
                           return testing::SanitizeTestName(info.param.name);
                         });

}  // namespace
}  // namespace anchor::crypto
