// SPDX-License-Identifier: Apache-2.0
// Usage errors end in exit 2 with the nearest registered name; --version and completion exit 0.
#include "command_line/parse_command_line.h"

#include <gtest/gtest.h>

#include "command_line/bash_completion.h"
#include "command_line/value_checks.h"
#include "core/exit_codes.h"
#include "core/version.h"

namespace anchor::command_line {
namespace {

// Tool is a small command tree shaped like anchor's: global options, a group with a
// subcommand, and a command with a positional argument.
struct Tool {
  Tool() : app("a tool", "tool") {
    app.require_subcommand(1);
    app.fallthrough();
    AddStandardFlags(app);
    app.add_option("--home", home, "home");
    app.add_flag("-q,--quiet", quiet, "quiet");
    CLI::App* token = app.add_subcommand("token", "tokens");
    token->require_subcommand(1);
    CLI::App* create = token->add_subcommand("create", "create one");
    create->add_option("--cn", cn, "name")->required();
    create->add_option("--ttl", ttl, "lifetime");
    CLI::App* inspect = app.add_subcommand("inspect", "show a file");
    inspect->add_option("file", file, "the file")->required();
    inspect->add_flag("--json", json, "JSON");
    AddCompletionCommand(app);
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "tool");
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    return Parse(app, static_cast<int>(argv.size()), argv.data()).value_or(-1);
  }
  CLI::App app;
  std::string home, cn, ttl, file;
  bool quiet = false, json = false;
};

TEST(ParseCommandLineTest, SuggestsTheNearestCommandOrOption) {
  Tool t;
  EXPECT_EQ(Suggestion(t.app, {"tokn", "create"}), "unknown command 'tokn'; did you mean 'token'?");
  EXPECT_EQ(Suggestion(t.app, {"token", "craete", "--cn", "x"}),
            "unknown command 'craete'; did you mean 'create'?");
  EXPECT_EQ(Suggestion(t.app, {"token", "create", "--nc", "x"}),
            "unknown option '--nc'; did you mean '--cn'?");
  EXPECT_EQ(Suggestion(t.app, {"token", "create", "--cn", "x", "--hme=d"}),
            "unknown option '--hme'; did you mean '--home'?")
      << "an option of the command around it (fallthrough)";
  EXPECT_EQ(Suggestion(t.app, {"--home", "inspec", "inspec"}),
            "unknown command 'inspec'; did you mean 'inspect'?")
      << "--home's value is skipped";
  EXPECT_EQ(Suggestion(t.app, {"inspect", "insepct.pem", "--jsno"}),
            "unknown option '--jsno'; did you mean '--json'?")
      << "a positional argument is not a command";
  EXPECT_EQ(Suggestion(t.app, {"--ttl=5m", "tokne"}), "unknown option '--ttl'")
      << "--ttl is not known at the top";
  EXPECT_EQ(Suggestion(t.app, {"frobnicate"}),
            "unknown command 'frobnicate'; use one of: token, inspect, completion");
  EXPECT_EQ(Suggestion(t.app, {"inspect", "--frobnicate"}), "unknown option '--frobnicate'");
  EXPECT_EQ(Suggestion(t.app, {"--bogus"}), "unknown option '--bogus'")
      << "not 'A subcommand is required'";
  EXPECT_EQ(Suggestion(t.app, {"token", "create", "--common-name"}),
            "unknown option '--common-name'")
      << "not '--cn is required'";
  EXPECT_EQ(Suggestion(t.app, {"token", "create", "--ttl-seconds", "5"}),
            "unknown option '--ttl-seconds'; did you mean '--ttl'?")
      << "a name it starts with";
  EXPECT_EQ(Suggestion(t.app, {"-Q", "inspect", "f"}), "unknown option '-Q'; did you mean '-q'?")
      << "a short option: the same letter in the other case";
  EXPECT_EQ(Suggestion(t.app, {"-x", "inspect", "f"}), "unknown option '-x'")
      << "never '-h' for any letter";
  EXPECT_EQ(Suggestion(t.app, {"token", "create", "--cn", "x"}), "");
}

TEST(ParseCommandLineTest, UsageErrorsExitTwoAndSayWhatWasMeant) {
  Tool t;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(t.Run({"tokn", "create", "--cn", "x"}), kExitUsage);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("tool: usage: "), std::string::npos) << said;
  EXPECT_NE(said.find("unknown command 'tokn'; did you mean 'token'?"), std::string::npos) << said;
  EXPECT_EQ(said.find('\n'), said.size() - 1) << "one line: " << said;

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"token", "create"},  // --cn is required
                                             {"token", "create", "--cn", "x", "--bogus"},
                                             {},
                                             {"inspect"},
                                             {"completion", "zsh"}}) {
    Tool fresh;
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(fresh.Run(args), kExitUsage) << ::testing::PrintToString(args);
    ::testing::internal::GetCapturedStderr();
  }
}

TEST(ParseCommandLineTest, AnUnknownOptionIsNamedBeforeAMissingRequiredOne) {
  Tool t;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(t.Run({"token", "create", "--bogus"}), kExitUsage);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("unknown option '--bogus'"), std::string::npos) << said;
  EXPECT_EQ(said.find("required"), std::string::npos) << said;
}

TEST(ParseCommandLineTest, AValueRefusedByItsParserIsAUsageError) {
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"token", "create", "--cn", "x", "--ttl", "5x"}, "--ttl: '5x' is not a duration"},
           {{"token", "create", "--cn", "x", "--ttl", "0s"}, "--ttl: "},
           {{"--home", "", "inspect", "f"}, "--home: an empty path"}}) {
    Tool t;
    t.app.get_option("--home")->check(NonEmptyPath());
    t.app.get_subcommand("token")->get_subcommand("create")->get_option("--ttl")->check(Duration());
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(t.Run(args), kExitUsage) << ::testing::PrintToString(args);
    const std::string said = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(said.find(expected), std::string::npos) << said;
  }
  Tool t;
  t.app.get_subcommand("token")->get_subcommand("create")->get_option("--ttl")->check(Duration());
  EXPECT_EQ(t.Run({"token", "create", "--cn", "x", "--ttl", "1h30m"}), -1) << "goes on";
  EXPECT_EQ(t.ttl, "1h30m");
}

TEST(ParseCommandLineTest, VersionHelpAndCompletionExitZero) {
  for (const std::string flag : {"--version", "--help", "--help-all"}) {
    Tool t;
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(t.Run({flag}), kExitOk) << flag;
    const std::string out = ::testing::internal::GetCapturedStdout();
    if (flag == "--version") {
      EXPECT_EQ(out, "tool " + std::string(Version()) + "\n");
    }
    if (flag == "--help-all") {
      EXPECT_NE(out.find("--ttl"), std::string::npos) << "every command's options: " << out;
    }
  }
  {
    Tool t;  // after a command too (fallthrough), as `anchor list --version`
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(t.Run({"inspect", "--version"}), kExitOk);
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "tool " + std::string(Version()) + "\n");
  }
  Tool t;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(t.Run({"completion", "bash"}), kExitOk);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), BashCompletion(t.app));
}

TEST(BashCompletionTest, ListsEveryCommandPathWithItsWords) {
  Tool t;
  const std::string script = BashCompletion(t.app);
  EXPECT_NE(script.find("\"\") commands=\"token inspect completion\""), std::string::npos)
      << script;
  EXPECT_NE(script.find("\"token create\") commands=\"\"; options=\""), std::string::npos)
      << script;
  EXPECT_NE(script.find("--cn --ttl"), std::string::npos) << script;
  EXPECT_NE(script.find("complete -o default -F _tool tool"), std::string::npos) << script;
}

}  // namespace
}  // namespace anchor::command_line
