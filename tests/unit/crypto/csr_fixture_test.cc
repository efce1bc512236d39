// SPDX-License-Identifier: Apache-2.0
// The fixtures of tests/data/csr (made by its generate.py with python3-cryptography and the
// openssl CLI): what anchor reads from each request, and what it refuses, with which reason.
#include <gtest/gtest.h>

#include "core/file_io.h"
#include "crypto/csr.h"
#include "testlib/matchers.h"

namespace anchor::crypto {
namespace {

using testing::ErrorIs;
using testing::IsOk;

Csr Load(const std::string& file) {
  const auto text = ReadFile(std::string(ANCHOR_TEST_DATA) + "/csr/" + file);
  EXPECT_THAT(text, IsOk()) << file;
  auto csr = Csr::Parse(*text);
  EXPECT_THAT(csr, IsOk()) << file;
  return std::move(csr).value();
}

// CsrCase: the request's proof of possession (key parameters first) and its content, each
// either accepted ("") or refused with kInvalidArgument and a message holding `why`.
struct CsrCase {
  const char* name;
  const char* file;
  const char* signature_why;
  const char* content_why;
};

const CsrCase kCases[] = {
    {"fail/two-san-extensions", "dup-san.csr", "",
     "extension X509v3 Subject Alternative Name twice"},
    {"fail/two-basic-constraints", "dup-basic-constraints.csr", "", "Basic Constraints twice"},
    {"fail/san-not-general-names", "bad-san.csr", "", "does not decode as GeneralNames"},
    {"fail/empty-san", "empty-san.csr", "", "holds no name"},
    {"fail/two-extension-requests", "two-ext-req.csr", "", "2 extension requests"},
    {"fail/extension-request-two-values", "ext-req-two-values.csr", "", "exactly one value"},
    {"fail/extension-request-not-extensions", "bad-ext-req.csr", "",
     "does not decode as Extensions"},
    {"fail/two-common-names", "two-cn.csr", "", "2 common names"},
    {"fail/rsa-exponent-1", "rsa-e1.csr", "proves nothing", ""},
    {"fail/rsa-exponent-3", "rsa-e3.csr", "exponent 3 is too small", ""},
    {"fail/rsa-exponent-even", "rsa-even-e.csr", "exponent is even", ""},
    {"fail/rsa-exponent-huge", "rsa-huge-e.csr", "301 bits", ""},
    {"fail/rsa-modulus-huge", "rsa-10000.csr", "10001 bits", ""},
    {"fail/rsa-exponent-2-63", "rsa-e-2-63.csr", "below 2^31", ""},
    {"fail/ec-compressed-point", "ec-compressed.csr", "compressed form", ""},
    {"fail/ec-explicit-parameters", "ec-explicit.csr", "named curves", ""},
    {"fail/ec-point-off-curve", "ec-off-curve.csr", "not a point on its curve", ""},
    {"fail/dsa", "dsa.csr", "does not accept dsa", ""},
    {"fail/x25519", "x25519.csr", "key agreement", ""},
    {"ok/subject-extras", "subject-extras.csr", "", ""},
    {"ok/ca-true-request", "ca-true.csr", "", ""},
    {"ok/upper-case-dns", "upper-dns-san.csr", "", ""},
};

class CsrFixtureTest : public ::testing::TestWithParam<CsrCase> {};

void ExpectOutcome(const Status& st, const char* why, const char* what) {
  if (std::string(why).empty()) {
    EXPECT_THAT(st, IsOk()) << what;
    return;
  }
  ASSERT_THAT(st, ErrorIs(Code::kInvalidArgument)) << what;
  EXPECT_NE(st.error().message().find(why), std::string::npos) << st.error().message();
  EXPECT_EQ(st.error().message().find('\n'), std::string::npos) << "one line";
}

TEST_P(CsrFixtureTest, ReadsOrRefuses) {
  const CsrCase& c = GetParam();
  const Csr csr = Load(c.file);
  ExpectOutcome(csr.VerifySignature(), c.signature_why, "signature");
  const auto content = csr.ReadContent();
  ExpectOutcome(content ? OkStatus() : Status(content.error()), c.content_why, "content");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CsrFixtureTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           return testing::SanitizeTestName(info.param.name);
                         });

TEST(CsrFixtureTest, ReadsWhatIsNeverIssuedSoItCanBeNamed) {
  const auto extras = Load("subject-extras.csr").ReadContent();
  ASSERT_THAT(extras, IsOk());
  EXPECT_EQ(extras->common_name, "svc.example.com");
  EXPECT_EQ(extras->other_subject_fields,
            (std::vector<std::string>{"countryName=SE", "organizationName=Acme"}));
  const auto ca = Load("ca-true.csr").ReadContent();
  ASSERT_THAT(ca, IsOk());
  EXPECT_TRUE(ca->requests_ca);
  EXPECT_EQ(ca->other_extensions, std::vector<std::string>{"X509v3 Basic Constraints"});
  const auto other = Load("othername-san.csr").ReadContent();
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->unknown_san_kinds, std::vector<std::string>{"othername"});
  const auto nul = Load("nul-dns-san.csr").ReadContent();
  ASSERT_THAT(nul, IsOk());  // read as written; the name check refuses it (names/)
  ASSERT_EQ(nul->sans.size(), 1u);
  EXPECT_EQ(nul->sans[0].value, std::string("good.example\0.evil.example", 26));
  EXPECT_THAT(NormalizeGeneralName(nul->sans[0]), ErrorIs(Code::kInvalidArgument));
}

TEST(CsrFixtureTest, CreateWritesOnlyNamesInNormalForm) {
  const auto key = PrivateKey::Generate(KeyType::kEcP256).value();
  EXPECT_THAT(Csr::Create(key, "ok", {GeneralName{GeneralName::Kind::kEmail, "no-at-sign"}}),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Create(key, "ok", {GeneralName{GeneralName::Kind::kDns, "Upper.Example"}}),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Create(key, "ok", {GeneralName{GeneralName::Kind::kUri, "rel/path"}}),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Create(key, std::string("a\nb"), {}), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Create(key, std::string(65, 'x'), {}), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(Csr::Create(key, "ok", {ParseGeneralName("dns:münchen.example").value()}), IsOk());
}

}  // namespace
}  // namespace anchor::crypto
