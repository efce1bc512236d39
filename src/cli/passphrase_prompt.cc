// SPDX-License-Identifier: Apache-2.0
// File: passphrase_prompt.cc: a no-echo read of one line from the terminal on standard input.
#include "cli/passphrase_prompt.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iterator>
#include <string>

namespace anchor::cli {
namespace {

// The settings EchoOff found, for RestoreAndRaise: a signal handler can only reach globals.
termios g_saved_terminal{};
// The signals that end the process at the prompt by default (Ctrl-C is SIGINT, Ctrl-backslash
// SIGQUIT), and what they did before EchoOff.
constexpr int kEndingSignals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kEndingSignals)];

// RestoreAndRaise turns echo back on and ends the process by the same signal, as if it had never
// been caught (the shell sees "killed by SIGINT"). tcsetattr, sigaction and raise are
// async-signal-safe (signal-safety(7)).
extern "C" void RestoreAndRaise(int signal) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_terminal);
  for (size_t i = 0; i < std::size(kEndingSignals); ++i) {
    if (kEndingSignals[i] == signal) {
      ::sigaction(signal, &g_previous[i], nullptr);
    }
  }
  ::raise(signal);
}

// EchoOff turns the terminal's echo off for its lifetime (keeping the newline echoed, so the
// next prompt starts on its own line) and restores the settings it found, also when a signal
// (Ctrl-C) ends the process meanwhile: else the shell is left without echo.
class EchoOff final {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) {
      return;
    }
    g_saved_terminal = saved_;
    struct sigaction restore {};
    restore.sa_handler = RestoreAndRaise;
    sigemptyset(&restore.sa_mask);
    for (size_t i = 0; i < std::size(kEndingSignals); ++i) {
      ::sigaction(kEndingSignals[i], nullptr, &g_previous[i]);
      if (g_previous[i].sa_handler == SIG_DFL) {  // a handler of the program's own stays
        ::sigaction(kEndingSignals[i], &restore, nullptr);
        handled_[i] = true;
      }
    }
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    // TCSADRAIN, not TCSAFLUSH: what was typed ahead of the prompt is kept, not discarded.
    active_ = ::tcsetattr(STDIN_FILENO, TCSADRAIN, &quiet) == 0;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  ~EchoOff() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
    }
    for (size_t i = 0; i < std::size(kEndingSignals); ++i) {
      if (handled_[i]) {
        ::sigaction(kEndingSignals[i], &g_previous[i], nullptr);
      }
    }
  }

 private:
  termios saved_{};
  bool active_ = false;
  bool handled_[std::size(kEndingSignals)] = {};
};

// ReadHiddenLine prints `prompt` and reads one line without echo; nullopt at the end of input.
std::optional<SecretBytes> ReadHiddenLine(const std::string& prompt) {
  const EchoOff echo_off;  // before the prompt, so that nothing typed after it is echoed
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  std::string line;
  char c = 0;
  ssize_t n = 0;
  while ((n = ::read(STDIN_FILENO, &c, 1)) == 1 && c != '\n' && c != '\r') {
    line.push_back(c);
  }
  SecretBytes out(line);
  ::explicit_bzero(line.data(), line.size());
  if (n != 1 && out.empty()) {
    std::fprintf(stderr, "\n");
    return std::nullopt;
  }
  return out;
}

}  // namespace

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }

Result<std::optional<SecretBytes>> PromptNewPassphrase(std::string_view what) {
  std::optional<SecretBytes> first =
      ReadHiddenLine("passphrase for " + std::string(what) + " (empty: leave them unencrypted): ");
  if (!first) {
    return Error(Code::kInvalidArgument, "no passphrase was read (end of input); nothing written");
  }
  if (first->empty()) {
    return std::optional<SecretBytes>();
  }
  const std::optional<SecretBytes> second = ReadHiddenLine("the same passphrase again: ");
  if (!second || second->size() != first->size() ||
      std::string_view(second->data(), second->size()) !=
          std::string_view(first->data(), first->size())) {
    return Error(Code::kInvalidArgument,
                 "the two passphrases differ; nothing was written, run it again");
  }
  return std::optional<SecretBytes>(std::move(first));
}

}  // namespace anchor::cli
