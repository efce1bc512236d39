// SPDX-License-Identifier: Apache-2.0
// docs/CONFIG.md documents every plugin option the plugin accepts, and no option it does not:
// kPluginOptions is both the parser's list (an option outside it is refused by name) and the
// list this test holds the reference to.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/file_io.h"
#include "plugins/mosquitto/broker_guard.h"

namespace anchor::mqtt {
namespace {

constexpr const char* kConfigDoc = ANCHOR_TEST_DATA "/../../docs/CONFIG.md";

std::set<std::string> DocumentedOptions() {
  auto text = ReadFile(kConfigDoc);
  EXPECT_TRUE(text.has_value()) << kConfigDoc;
  std::set<std::string> names;
  const std::regex row(R"(^\| `plugin_opt_([a-z_]+)` \|)");
  std::istringstream lines(text.has_value() ? *text : "");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      names.insert(m[1]);
    }
  }
  return names;
}

TEST(PluginOptionsDocsTest, EveryOptionTheParserTakesIsDocumentedAndNoOther) {
  const std::set<std::string> documented = DocumentedOptions();
  const std::set<std::string> accepted(std::begin(kPluginOptions), std::end(kPluginOptions));
  for (const std::string& name : accepted) {
    EXPECT_TRUE(documented.contains(name)) << "plugin_opt_" << name << " missing in CONFIG.md";
  }
  for (const std::string& name : documented) {
    EXPECT_TRUE(accepted.contains(name))
        << "CONFIG.md documents plugin_opt_" << name << ", which the plugin does not take";
  }
}

TEST(PluginOptionsDocsTest, TheParserRefusesOnlyWhatIsNotInTheList) {
  for (const std::string_view name : kPluginOptions) {
    const auto r = ParseGuardOptions({{std::string(name), "x"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message().find("unknown option"), std::string::npos) << name;
  }
  const auto r = ParseGuardOptions({{"colour", "blue"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("unknown option; the anchor plugin takes ca_url, ca_file"),
            std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace anchor::mqtt
