// SPDX-License-Identifier: Apache-2.0
// File: parse_command_line.h: parsing a program's command line the same way in every program:
// --version and --help-all, and a usage error is one line, a suggestion, and exit 2.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace anchor::command_line {

// AddStandardFlags gives `app` (named by its program, e.g. "anchor-agent") --version, which
// prints VersionLine(app.get_name()), and --help-all, which prints the help of every command
// (what the man pages are made from).
void AddStandardFlags(CLI::App& app);

// FullHelp is the help of `app` and of every command under it, each with its usage line: what
// --help-all prints, and what the man pages are made from.
std::string FullHelp(const CLI::App& app);

// Parse parses `argv` into `app`. It returns nullopt when the program should go on, or the exit
// code when parsing ended the run: kExitOk after --help, --help-all (FullHelp) or --version
// (printed), and kExitUsage after any other parse error, printed on one line as "PROGRAM: usage:
// WHAT (see PROGRAM --help)", WHAT being the Suggestion when there is one, else CLI11's message.
// CLI11's own codes (105, 106, ...) never leave it.
std::optional<int> Parse(CLI::App& app, int argc, char** argv);

// Suggestion is "unknown command 'isue'; did you mean 'issue'?" (or "unknown option ...") for
// the first word of `args` (argv without the program) that names no command or option of `app`
// where it stands, when a registered name is close to it (ClosestName; for a short option only
// the same letter in the other case, for a long one also a name it starts with). An unknown
// command with no near name is "unknown command 'x'; use one of: a, b"; an unknown option with
// none, "unknown option '--x'". Empty when every word is known (the error is CLI11's).
std::string Suggestion(const CLI::App& app, const std::vector<std::string>& args);

// CommandNames are the names of `app`'s subcommands, in the order they were added.
std::vector<std::string> CommandNames(const CLI::App& app);
// OptionNames are the names ("--home", "-q") of `app`'s own options, in the order they were added.
std::vector<std::string> OptionNames(const CLI::App& app);

}  // namespace anchor::command_line
