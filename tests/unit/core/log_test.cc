// SPDX-License-Identifier: Apache-2.0
// File: log_test.cc: text and JSON rendering of log lines.
#include "core/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace anchor::log {
namespace {

TEST(LogTest, TextQuotesValuesThatCouldForgeAFieldOrALine) {
  const Logger logger("anchor serve", Format::kText);
  const std::string line = logger.Render(Level::kInfo, "request",
                                         {{"path", std::string("/a b\n2026 anchor serve: x=1")},
                                          {"status", int64_t{404}},
                                          {"latency_ms", 1.5},
                                          {"peer", std::string("CN=dev,O=\"q\"")}});
  EXPECT_NE(line.find(" anchor serve: request path=\"/a b\\x0a2026 anchor serve: x=1\""),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(" status=404 latency_ms=1.500 peer=\"CN=dev,O=\\\"q\\\"\""),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogTest, JsonIsOneObjectWithTypedFields) {
  const Logger logger("anchor serve", Format::kJson);
  const std::string line = logger.Render(
      Level::kWarning, "request", {{"status", int64_t{401}}, {"path", std::string("/\xff")}});
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "request");
  EXPECT_EQ(j["status"], 401);
  EXPECT_TRUE(j["time"].is_string());
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogTest, ParseFormatNamesTheChoices) {
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  const auto bad = ParseFormat("xml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("text, json"), std::string::npos);
}

}  // namespace
}  // namespace anchor::log
