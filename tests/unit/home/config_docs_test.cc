// SPDX-License-Identifier: Apache-2.0
// docs/CONFIG.md documents every key anchor.toml accepts, and no key it does not: the reference a
// user reads is the list the code checks against (home::ConfigKeys).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/file_io.h"
#include "home/config_file.h"

namespace anchor::home {
namespace {

constexpr const char* kConfigDoc = ANCHOR_TEST_DATA "/../../docs/CONFIG.md";

// DocumentedKeys are the keys in the first column of CONFIG.md's tables ("| `ca.name` | ...").
std::set<std::string> DocumentedKeys() {
  auto text = ReadFile(kConfigDoc);
  EXPECT_TRUE(text.has_value()) << kConfigDoc;
  std::set<std::string> keys;
  const std::regex row(R"(^\| `([^`]+)` \|)");
  std::istringstream lines(text.has_value() ? *text : "");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      keys.insert(m[1]);
    }
  }
  return keys;
}

// IsAnchorTomlKey says whether a documented key belongs to anchor.toml (not to the plugin).
bool IsAnchorTomlKey(const std::string& key) {
  for (const char* table : {"ca.", "device.", "service.", "server.", "profiles.", "store."}) {
    if (key.starts_with(table)) {
      return true;
    }
  }
  return false;
}

TEST(ConfigDocs, EveryAcceptedKeyIsDocumented) {
  const std::set<std::string> documented = DocumentedKeys();
  for (const std::string& key : ConfigKeys()) {
    EXPECT_TRUE(documented.contains(key)) << key << " is accepted but missing from docs/CONFIG.md";
  }
}

TEST(ConfigDocs, EveryDocumentedKeyIsAccepted) {
  const std::vector<std::string> accepted = ConfigKeys();
  size_t seen = 0;
  for (const std::string& key : DocumentedKeys()) {
    if (!IsAnchorTomlKey(key)) {
      continue;
    }
    ++seen;
    EXPECT_NE(std::find(accepted.begin(), accepted.end(), key), accepted.end())
        << key << " is in docs/CONFIG.md but anchor.toml does not accept it";
  }
  EXPECT_GE(seen, accepted.size());  // the parser above found the tables at all
}

// ConfigKeys is the list the parser checks, not a copy that could drift from it: each of its keys,
// given a value of no key's type, is refused for its value, never as an unknown key.
TEST(ConfigDocs, ConfigKeysAreTheParsersList) {
  for (const std::string& key : ConfigKeys()) {
    const size_t dot = key.rfind('.');
    std::string table = key.substr(0, dot);
    if (table == "profiles.PROFILE") {
      table = "profiles.server";
    }
    // An unknown key is refused by name; a known one with a wrong type is refused as a wrong
    // type (or a bad value): so the message tells which list the key is on.
    const std::string text = "[" + table + "]\n" + key.substr(dot + 1) + " = {}\n";
    auto parsed = ParseConfigFile(text, "anchor.toml");
    ASSERT_FALSE(parsed.has_value()) << key;
    EXPECT_EQ(parsed.error().message().find("unknown"), std::string::npos)
        << key << ": " << parsed.error().message();
  }
}

}  // namespace
}  // namespace anchor::home
