// SPDX-License-Identifier: Apache-2.0
// The transport's keys of [server], read beside the transport: defaults, bounds, errors that
// name the key, and the lines `anchor init` writes.
#include "server/server_settings.h"

#include <gtest/gtest.h>

#include "core/toml_fields.h"
#include "testlib/matchers.h"

namespace anchor::server {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

// Parse reads `lines` as the body of a [server] table.
Result<ServerSettings> Parse(const std::string& lines) {
  auto root = toml_fields::ParseToml("[server]\n" + lines, "t.toml");
  if (!root) {
    return root.error();
  }
  return ParseServerSettings(*(*root)["server"].as_table(), "t.toml");
}

TEST(ServerSettingsTest, AnEmptyTableIsTheDefaults) {
  const auto s = Parse("");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->threads, 0);
  EXPECT_EQ(s->max_connections, 1024);
  EXPECT_EQ(s->max_handshakes, 256);
  EXPECT_EQ(s->handshake_share_per_address, 32);
  EXPECT_EQ(s->max_body_kib, 64);
  EXPECT_EQ(s->handshake_timeout_seconds, 5);
  EXPECT_EQ(s->header_timeout_seconds, 10);
  EXPECT_EQ(s->idle_timeout_seconds, 60);
}

TEST(ServerSettingsTest, WrittenSettingsParseBackTheSame) {
  ServerSettings s;
  s.threads = 2;
  s.max_connections = 50;
  s.max_body_kib = 128;
  s.idle_timeout_seconds = 5;
  const auto back = Parse(ServerSettingsToml(s));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->threads, 2);
  EXPECT_EQ(back->max_connections, 50);
  EXPECT_EQ(back->max_body_kib, 128);
  EXPECT_EQ(back->idle_timeout_seconds, 5);
  EXPECT_EQ(back->header_timeout_seconds, 10);
}

TEST(ServerSettingsTest, EveryKeyIsWrittenAndNoOther) {
  const std::string toml = ServerSettingsToml({});
  size_t settings = 0;  // lines that set a key; the others are comments
  for (size_t at = 0; at < toml.size(); at = toml.find('\n', at) + 1) {
    settings += toml[at] != '#' ? 1 : 0;
  }
  // metrics_listen is written only when set: the default file stays the one earlier anchors
  // wrote.
  EXPECT_EQ(settings, std::size(kServerSettingKeys) - 1);
  for (const std::string_view key : kServerSettingKeys) {
    EXPECT_EQ(toml.find("\n" + std::string(key) + " = ") != std::string::npos,
              key != "metrics_listen")
        << key;
  }
  ServerSettings with_metrics;
  with_metrics.metrics_listen = "127.0.0.1:9464";
  EXPECT_NE(ServerSettingsToml(with_metrics).find("\nmetrics_listen = \"127.0.0.1:9464\"\n"),
            std::string::npos);
}

TEST(ServerSettingsTest, ValuesOutOfRangeOrOfTheWrongTypeNameTheKey) {
  for (const auto& [line, key] : std::vector<std::pair<std::string, std::string>>{
           {"threads = 257", "threads"},
           {"max_connections = 0", "max_connections"},
           {"max_handshakes = 0", "max_handshakes"},
           {"handshake_share_per_address = 0", "handshake_share_per_address"},
           {"max_body_kib = 1025", "max_body_kib"},
           {"handshake_timeout_seconds = 61", "handshake_timeout_seconds"},
           {"header_timeout_seconds = 0", "header_timeout_seconds"},
           {"idle_timeout_seconds = 3601", "idle_timeout_seconds"},
           {"header_timeout_seconds = \"10\"", "header_timeout_seconds"},
           {"metrics_listen = 9464", "metrics_listen"}}) {
    const auto bad = Parse(line + "\n");
    ASSERT_THAT(bad, ErrorIs(Code::kInvalidArgument)) << line;
    EXPECT_EQ(bad.error().message().rfind("t.toml: server." + key + ": ", 0), 0u)
        << bad.error().message();
  }
  EXPECT_EQ(Parse("max_connections = 0\n").error().message(),
            "t.toml: server.max_connections: must be between 1 and 1000000");
}

TEST(ServerSettingsTest, KeysOfOtherReadersAreLeftAlone) {
  // [server] also holds the CA's choices; home/ refuses keys that no reader knows.
  EXPECT_THAT(Parse("renewal_grace_seconds = 60\nbootstrap_ca = \"f.pem\"\n"), IsOk());
}

}  // namespace
}  // namespace anchor::server
