// SPDX-License-Identifier: Apache-2.0
// File: parse_command_line.cc: CLI11 parsing with one exit code for usage errors, and the
// nearest registered name for a mistyped command or option (CLI11 has no suggestion of its own).
#include "command_line/parse_command_line.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/edit_distance.h"
#include "core/exit_codes.h"
#include "core/text.h"
#include "core/version.h"

namespace anchor::command_line {
namespace {

// SubcommandsOf are every subcommand of `app`, parsed or not (a nameless one is an option group).
std::vector<const CLI::App*> SubcommandsOf(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
}

bool HasPositionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

// FindOption looks `name` up where CLI11 does: the innermost command first, then (fallthrough)
// the commands around it.
const CLI::Option* FindOption(const std::vector<const CLI::App*>& chain, const std::string& name) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (const CLI::Option* opt = (*it)->get_option_no_throw(name); opt != nullptr) {
      return opt;
    }
  }
  return nullptr;
}

std::string DidYouMean(std::string_view kind, const std::string& typed,
                       const std::optional<std::string>& name) {
  return name ? "unknown " + std::string(kind) + " '" + typed + "'; did you mean '" + *name + "'?"
              : "";
}

// NearestOption is the registered option `typed` most likely meant. A short option ("-O") is
// one letter, and every letter is one edit from every other, so only the same letter in the
// other case is a suggestion ("-O" -> "-o", never "-h"). A long one is the nearest by
// ClosestName, else a name it starts with or that starts with it ("--output" -> "--out").
std::optional<std::string> NearestOption(const std::string& typed,
                                         const std::vector<std::string>& known) {
  if (typed.size() == 2) {
    for (const std::string& name : known) {
      if (name.size() == 2 && name != typed && ToLower(name) == ToLower(typed)) {
        return name;
      }
    }
    return std::nullopt;
  }
  if (std::optional<std::string> nearest = ClosestName(typed, known)) {
    return nearest;
  }
  std::optional<std::string> best;
  for (const std::string& name : known) {
    // At least three letters after "--" in common, so that "--o" is no one's prefix.
    const size_t common = std::min(name.size(), typed.size());
    if (name.rfind("--", 0) == 0 && common >= 5 && name.compare(0, common, typed, 0, common) == 0 &&
        (!best || name.size() > best->size())) {
      best = name;
    }
  }
  return best;
}

// AppendHelp appends the help of `app` and of every command under it, depth first; `path` is the
// command line that leads to `app` ("anchor token"). CLI11's own --help-all stops one level down.
// Each command's help starts with a line "anchor token create:", which help2man makes a section.
void AppendHelp(const CLI::App& app, const std::string& path, std::string& out) {
  const std::string here = path.empty() ? app.get_name() : path + " " + app.get_name();
  std::string help = app.help(path);
  if (const size_t usage = help.find("Usage:"); !path.empty() && usage != std::string::npos) {
    help = "\n" + here + ":\n  " + app.get_description() + "\n  " + help.substr(usage);
  }
  out += help;
  for (const CLI::App* sub : SubcommandsOf(app)) {
    AppendHelp(*sub, here, out);
  }
}

}  // namespace

std::string FullHelp(const CLI::App& app) {
  std::string out;
  AppendHelp(app, "", out);
  return out;
}

void AddStandardFlags(CLI::App& app) {
  app.set_version_flag("--version", VersionLine(app.get_name()), "print the version and exit");
  app.set_help_all_flag("--help-all", "print the help of every command and exit");
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : SubcommandsOf(app)) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt :
       app.get_options([](const CLI::Option* o) { return !o->get_positional(); })) {
    for (const std::string& l : opt->get_lnames()) {
      names.push_back("--" + l);
    }
    for (const std::string& s : opt->get_snames()) {
      names.push_back("-" + s);
    }
  }
  return names;
}

std::string Suggestion(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const CLI::App*> chain{&app};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      return "";
    }
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg[1] != '-' && arg.size() > 2) {
        continue;  // -qv: bundled short flags, or a value glued to a short option
      }
      const std::string name = arg.substr(0, arg.find('='));
      const CLI::Option* opt = FindOption(chain, name);
      if (opt == nullptr) {
        std::vector<std::string> known;
        for (const CLI::App* level : chain) {
          for (std::string& n : OptionNames(*level)) {
            known.push_back(std::move(n));
          }
        }
        // Named even when nothing is near: CLI11 would rather say that a required option is
        // missing, or that a command is required, than that this one is unknown.
        const std::optional<std::string> nearest = NearestOption(name, known);
        return nearest ? DidYouMean("option", name, nearest) : "unknown option '" + name + "'";
      }
      if (opt->get_type_size_max() > 0 && name.size() == arg.size()) {
        ++i;  // its value
      }
      continue;
    }
    const CLI::App* current = chain.back();
    const std::vector<const CLI::App*> subs = SubcommandsOf(*current);
    const auto sub = std::find_if(subs.begin(), subs.end(),
                                  [&](const CLI::App* s) { return s->check_name(arg); });
    if (sub != subs.end()) {
      chain.push_back(*sub);
      continue;
    }
    if (!subs.empty() && !HasPositionals(*current)) {
      const std::vector<std::string> commands = CommandNames(*current);
      const std::optional<std::string> nearest = ClosestName(arg, commands);
      return nearest ? DidYouMean("command", arg, nearest)
                     : "unknown command '" + arg + "'; use one of: " + Join(commands, ", ");
    }
  }
  return "";
}

std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(FullHelp(app).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::Success&) {
    return kExitOk;  // a command that finished during parsing (`completion`)
  } catch (const CLI::ParseError& e) {
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    // A mistyped name is the likelier cause than what CLI11 saw next ("--server is required"
    // after "--sever URL"), so it is said instead.
    const std::string hint = Suggestion(app, args);
    std::fprintf(stderr, "%s: usage: %s (see %s --help)\n", app.get_name().c_str(),
                 hint.empty() ? e.what() : hint.c_str(), app.get_name().c_str());
    return kExitUsage;
  }
}

}  // namespace anchor::command_line
