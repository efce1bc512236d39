// SPDX-License-Identifier: Apache-2.0
// File: subprocess.cc: posix_spawn, waitpid with a deadline, SIGTERM then SIGKILL.
#include "core/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/file_io.h"

extern char** environ;

namespace anchor {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(5);

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

// Environment returns this process's environment with `overrides` ("NAME=value") applied.
std::vector<std::string> Environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& o : overrides) {
      replaced = replaced || o.substr(0, o.find('=')) == name;
    }
    if (!replaced) {
      out.push_back(entry);
    }
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// SpawnActions owns posix_spawn's file actions and attributes.
struct SpawnActions {
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  SpawnActions() {
    ::posix_spawn_file_actions_init(&files);
    ::posix_spawnattr_init(&attr);
  }
  ~SpawnActions() {
    ::posix_spawn_file_actions_destroy(&files);
    ::posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

Result<Subprocess> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) {
    return Error(Code::kInvalidArgument, "no program to run");
  }
  SpawnActions actions;
  const std::string out = options.output_file.empty() ? "/dev/null" : options.output_file;
  ::posix_spawn_file_actions_addopen(&actions.files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!options.inherit_output) {
    ::posix_spawn_file_actions_addopen(&actions.files, STDOUT_FILENO, out.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::posix_spawn_file_actions_adddup2(&actions.files, STDOUT_FILENO, STDERR_FILENO);
  }
  if (!options.cwd.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions.files, options.cwd.c_str());
  }
  int report[2] = {-1, -1};
  if (options.report_fd >= 3) {
    if (::pipe2(report, O_CLOEXEC) != 0) {
      return Error(Code::kUnavailable, "cannot make a pipe: " + std::string(std::strerror(errno)));
    }
    ::posix_spawn_file_actions_adddup2(&actions.files, report[1], options.report_fd);
    // Read once the child has ended, without waiting for any descendant that kept a copy.
    ::fcntl(report[0], F_SETFL, O_NONBLOCK);
  }
  // A process group of its own: Ctrl-C reaches the parent alone, which stops its children in
  // order rather than all at once.
  ::posix_spawnattr_setflags(&actions.attr, POSIX_SPAWN_SETPGROUP);
  ::posix_spawnattr_setpgroup(&actions.attr, 0);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = Environment(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, argv[0], &actions.files, &actions.attr, argv.data(), envp.data());
  if (report[1] >= 0) {
    ::close(report[1]);  // the child holds its own copy
  }
  if (rc != 0) {
    if (report[0] >= 0) {
      ::close(report[0]);
    }
    return Error(Code::kNotFound,
                 "cannot run " + options.argv[0] + ": " + std::string(std::strerror(rc)));
  }
  return Subprocess(pid, report[0]);
}

std::string Subprocess::TakeReport() {
  std::string out;
  if (report_fd_ < 0) {
    return out;
  }
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(report_fd_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;  // the end, or nothing more written (EAGAIN)
    }
  }
  ::close(report_fd_);
  report_fd_ = -1;
  return out;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_code_(other.exit_code_),
      report_fd_(std::exchange(other.report_fd_, -1)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) {
      Stop();
    }
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = other.exit_code_;
    if (report_fd_ >= 0) {
      ::close(report_fd_);
    }
    report_fd_ = std::exchange(other.report_fd_, -1);
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    Stop();
  }
  if (report_fd_ >= 0) {
    ::close(report_fd_);
  }
}

bool Subprocess::Running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    exit_code_ = r == pid_ ? ExitCodeOf(status) : -1;
    pid_ = -1;
    return false;
  }
  return true;
}

Result<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(Code::kUnavailable,
                   "still running after " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_code_;
}

int Subprocess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) {
    return exit_code_;
  }
  ::kill(pid_, SIGTERM);
  if (auto code = Wait(grace)) {
    return *code;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = ExitCodeOf(status);
  return exit_code_;
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::vector<std::string>& env, const std::string& cwd) {
  std::string path = (std::filesystem::temp_directory_path() / "anchor-run.XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) {
    return Error(Code::kInternal,
                 "cannot create a temporary file: " + std::string(std::strerror(errno)));
  }
  ::close(fd);
  struct Unlink {
    const std::string& p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_on_return{path};
  ANCHOR_ASSIGN_OR_RETURN(Subprocess process, Subprocess::Start({argv, env, path, cwd}));
  auto code = process.Wait(timeout);
  if (!code) {
    process.Stop();
    return Error(Code::kUnavailable, argv[0] + " did not finish within " +
                                         std::to_string(timeout.count() / 1000) + " s");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string output, ReadFile(path));
  return CommandResult{*code, std::move(output)};
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

}  // namespace anchor
