// SPDX-License-Identifier: Apache-2.0
// File: bash_completion.cc: walks the CLI11 command tree into a bash `case` per command path.
#include "command_line/bash_completion.h"

#include <algorithm>
#include <iostream>

#include "command_line/parse_command_line.h"
#include "core/text.h"

namespace anchor::command_line {
namespace {

// ShellFunction is `program` as a bash function name: "anchor-agent" -> "_anchor_agent".
std::string ShellFunction(std::string program) {
  std::replace_if(
      program.begin(), program.end(),
      [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return "_" + program;
}

// AddCases appends one `case` arm per command path under `app` (at `path`), each setting the
// words to offer there. `inherited` are the options of the commands around it.
void AddCases(const CLI::App& app, const std::string& path, std::vector<std::string> inherited,
              std::string& out) {
  for (std::string& name : OptionNames(app)) {
    inherited.push_back(std::move(name));
  }
  out += "    \"" + path + "\") commands=\"" + Join(CommandNames(app), " ") + "\"; options=\"" +
         Join(inherited, " ") + "\" ;;\n";
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); })) {
    AddCases(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), inherited, out);
  }
}

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  const std::string program = app.get_name();
  const std::string fn = ShellFunction(program);
  std::string out = "# bash completion for " + program + ", written by `" + program +
                    " completion bash` from its own command tree.\n";
  out += fn + "_words() {\n  case \"$1\" in\n";
  AddCases(app, "", {}, out);
  out += "    *) commands=\"\"; options=\"\" ;;\n  esac\n}\n";
  out += fn + "() {\n";
  out += "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word i commands options\n";
  out += "  for ((i = 1; i < COMP_CWORD; i++)); do\n";
  out += "    word=\"${COMP_WORDS[i]}\"\n";
  out += "    " + fn + "_words \"$path\"\n";
  out += "    case \" $commands \" in *\" $word \"*) path=\"${path:+$path }$word\" ;; esac\n";
  out += "  done\n";
  out += "  " + fn + "_words \"$path\"\n";
  out += "  if [[ \"$cur\" == -* ]]; then\n";
  out += "    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n";
  out += "  else\n";
  out += "    COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n";
  out += "  fi\n}\n";
  out += "complete -o default -F " + fn + " " + program + "\n";
  return out;
}

void AddCompletionCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "completion", "print a bash completion script (source it, or see the package's copy)");
  cmd->add_option("shell", "the shell: bash")->required()->check(CLI::IsMember({"bash"}));
  cmd->callback([&app] {
    std::cout << BashCompletion(app) << std::flush;
    throw CLI::Success();
  });
}

}  // namespace anchor::command_line
