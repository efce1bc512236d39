// SPDX-License-Identifier: Apache-2.0
// File: subprocess.h: starting programs, waiting for them and stopping them by their PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"

namespace anchor {

// SubprocessOptions say what to run and where its output goes.
struct SubprocessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in $PATH when it holds no '/'
  std::vector<std::string> env;   // "NAME=value" added to (or replacing in) this environment
  std::string output_file;        // stdout and stderr, appended; empty: /dev/null
  std::string cwd;                // empty: this process's
  bool inherit_output = false;    // stdout and stderr stay this process's (output_file unused)
  // report_fd, when >= 3, is a descriptor of the child connected to a pipe that `TakeReport`
  // reads: a channel for a result that must not depend on the disk.
  int report_fd = -1;
};

// Subprocess is a started program. It is stopped (SIGTERM, then SIGKILL) and reaped when the
// object goes, unless it was released or already waited for, so that no process outlives the
// code that started it by accident.
class Subprocess final {
 public:
  // Start spawns the program; a program that cannot be found or run is kNotFound naming it.
  static Result<Subprocess> Start(const SubprocessOptions& options);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // Running reaps the process if it has ended; false once it has.
  bool Running();
  // Wait waits up to `timeout` and returns the exit code (128 + N for signal N), or
  // kUnavailable when it is still running then.
  Result<int> Wait(std::chrono::milliseconds timeout);
  // Stop sends SIGTERM, waits up to `grace`, then SIGKILL; it returns the exit code.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(3));
  // Release lets the process run on after this object is gone (`anchor demo --keep`).
  void Release() { pid_ = -1; }
  // TakeReport returns what the child wrote to its report_fd; call it once the child has ended.
  std::string TakeReport();

 private:
  explicit Subprocess(pid_t pid, int report_read_fd = -1) : pid_(pid), report_fd_(report_read_fd) {}
  pid_t pid_ = -1;
  int exit_code_ = -1;
  int report_fd_ = -1;  // our end of the report pipe
};

// CommandResult is a finished program's exit code and what it printed (stdout and stderr).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// RunCommand runs `argv` in `cwd` (empty: here) to its end, killing it after `timeout` (which
// is then kUnavailable), and returns its exit code and output.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::vector<std::string>& env = {},
                                 const std::string& cwd = "");

// FindProgram returns the path of `name` in $PATH, or an empty string.
std::string FindProgram(const std::string& name);

}  // namespace anchor
