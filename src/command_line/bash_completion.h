// SPDX-License-Identifier: Apache-2.0
// File: bash_completion.h: a bash completion script written from a program's own CLI11 command
// tree, so that it lists exactly the commands and options the program accepts.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace anchor::command_line {

// BashCompletion is a bash script that completes `app`'s program (app.get_name()): after the
// words that name a command path ("token create"), a word starting with '-' completes to that
// command's options and those of the commands around it (CLI11's fallthrough accepts them
// there), any other word to its subcommands; where neither applies, bash completes file names.
// It needs only bash (complete, compgen), not the bash-completion package.
std::string BashCompletion(const CLI::App& app);

// AddCompletionCommand adds `completion bash` to `app`: it prints BashCompletion(app) and ends
// the run with exit 0 (Parse returns kExitOk).
void AddCompletionCommand(CLI::App& app);

}  // namespace anchor::command_line
