// SPDX-License-Identifier: Apache-2.0
#include "names/mailbox.h"

#include <gtest/gtest.h>

#include "testlib/matchers.h"

namespace anchor::names {
namespace {

struct MailboxCase {
  const char* name;
  std::string input;
  std::string want;  // empty: refused with `why`
  const char* why;
};

const MailboxCase kMailboxCases[] = {
    {"ok/plain", "user@example.com", "user@example.com", ""},
    {"ok/domain-lowered-local-kept", "User.Name@Example.COM", "User.Name@example.com", ""},
    {"ok/atext", "a!#$%&'*+-/=?^_`{|}~z@example.com", "a!#$%&'*+-/=?^_`{|}~z@example.com", ""},
    {"ok/quoted-local", "\"a b\"@example.com", "\"a b\"@example.com", ""},
    {"ok/quoted-at", "\"a@b\"@example.com", "\"a@b\"@example.com", ""},
    {"ok/quoted-pair", "\"a\\\"b\"@example.com", "\"a\\\"b\"@example.com", ""},
    {"ok/unicode-domain", "user@münchen.example", "user@xn--mnchen-3ya.example", ""},
    {"ok/64-char-local", std::string(64, 'a') + "@example.com",
     std::string(64, 'a') + "@example.com", ""},
    {"fail/non-ascii-local", "üser@example.com", "", "must be ASCII"},
    {"fail/no-at", "no-at-sign", "", "no '@'"},
    {"fail/two-at", "a@b@example.com", "", "more than one '@'"},
    {"fail/empty-local", "@example.com", "", "nothing before the '@'"},
    {"fail/empty-domain", "user@", "", "no domain"},
    {"fail/leading-dot", ".user@example.com", "", "dot"},
    {"fail/trailing-dot", "user.@example.com", "", "dot"},
    {"fail/double-dot", "us..er@example.com", "", "dot"},
    {"fail/space", "us er@example.com", "", "' ' is not allowed"},
    {"fail/65-char-local", std::string(65, 'a') + "@example.com", "", "longer than 64"},
    {"fail/unclosed-quote", "\"abc@example.com", "", "no closing"},
    {"fail/quote-without-at", "\"a@b\"", "", "no '@' after"},
    {"fail/control-in-quote", "\"a\tb\"@example.com", "", "control"},
    {"fail/address-literal", "user@[192.0.2.1]", "", "address literals"},
    {"fail/bad-domain", "user@exa_mple.com", "", "its domain"},
    {"fail/wildcard-domain", "user@*.example.com", "", "wildcard"},
    {"fail/too-long",
     std::string(10, 'u') + "@" + std::string(60, 'a') + "." + std::string(60, 'b') + "." +
         std::string(60, 'c') + "." + std::string(60, 'd') + ".example",
     "", "longer than"},
};

class MailboxTest : public ::testing::TestWithParam<MailboxCase> {};

TEST_P(MailboxTest, Normalizes) {
  const MailboxCase& c = GetParam();
  auto got = NormalizeMailbox(c.input);
  if (c.want.empty()) {
    ASSERT_THAT(got, testing::ErrorIs(Code::kInvalidArgument));
    EXPECT_NE(got.error().message().find(c.why), std::string::npos) << got.error().message();
    EXPECT_EQ(got.error().message().find('\t'), std::string::npos);
    return;
  }
  ASSERT_THAT(got, testing::IsOk());
  EXPECT_EQ(*got, c.want);
}

INSTANTIATE_TEST_SUITE_P(Names, MailboxTest, ::testing::ValuesIn(kMailboxCases),
                         [](const auto& info) {
                           return testing::SanitizeTestName(info.param.name);
                         });

}  // namespace
}  // namespace anchor::names
