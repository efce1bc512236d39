// SPDX-License-Identifier: Apache-2.0
// File: file_io.cc: POSIX file reading and atomic writes.
#include "core/file_io.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace anchor {
namespace {

Error Errno(std::string_view what, const std::string& path, int err) {
  // A full disk or quota is a state that passes: kUnavailable tells callers to retry later.
  const Code code = err == ENOENT                      ? Code::kNotFound
                    : err == EEXIST                    ? Code::kAlreadyExists
                    : (err == EACCES || err == EPERM)  ? Code::kPermissionDenied
                    : (err == ENOSPC || err == EDQUOT) ? Code::kUnavailable
                                                       : Code::kInvalidArgument;
  if (code == Code::kPermissionDenied) {
    // A daemon that dropped its privileges (Mosquitto runs as `mosquitto`) is not the user who
    // made the file: name the one the kernel checked.
    return Error(
        code, std::string(what) + " " + path + ": permission denied for user " + EffectiveUser());
  }
  return Error(code, std::string(what) + " " + path + ": " + std::strerror(err));
}

std::string DirectoryOf(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

Status WriteAll(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Errno("cannot write", path, errno);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

// FsyncDirectory makes the rename itself durable; the rename has been done, so a failure here is
// not reported (the file is in place either way).
void FsyncDirectory(const std::string& dir) { (void)Fsync(dir); }

}  // namespace

std::string EffectiveUser() {
  const uid_t uid = ::geteuid();
  char buf[1024];
  struct passwd pw {};
  struct passwd* found = nullptr;
  const std::string number = "uid " + std::to_string(uid);
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || found == nullptr) {
    return number;
  }
  return std::string(found->pw_name) + " (" + number + ")";
}

std::string SizeText(size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  if (bytes >= 1024 && bytes % 1024 == 0) {
    return std::to_string(bytes >> 10) + " KiB";
  }
  return std::to_string(bytes) + " bytes";
}

Result<SecretBytes> ReadSecretLine(const std::string& path, size_t max_bytes) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path, max_bytes));
  SecretBytes line(std::string_view(text).substr(0, text.find_first_of("\r\n")));
  ::explicit_bzero(text.data(), text.size());
  return line;
}

Result<std::string> ReadBounded(int fd, size_t max_bytes, const std::string& what) {
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Errno("cannot read", what, errno);
    }
    if (n == 0) {
      return out;
    }
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return Error(Code::kInvalidArgument,
                   what + " is larger than " + SizeText(max_bytes) + "; is it the right file?");
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Errno("cannot read", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error(Code::kInvalidArgument, path + " is a directory, expected a file");
  }
  auto content = ReadBounded(fd, max_bytes, path);
  ::close(fd);
  return content;
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       bool exclusive) {
  if (exclusive && FileExists(path)) {
    return Error(Code::kAlreadyExists, path + " already exists; refusing to overwrite it");
  }
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return Errno("cannot create a temporary file for", path, errno);
  }
  Status status = OkStatus();
  if (::fchmod(fd, mode) != 0) {
    status = Errno("cannot set the mode of", tmp, errno);
  }
  if (status) {
    status = WriteAll(fd, content, tmp);
  }
  if (status && ::fsync(fd) != 0) {
    status = Errno("cannot fsync", tmp, errno);
  }
  if (::close(fd) != 0 && status) {
    status = Errno("cannot close", tmp, errno);
  }
  if (status && exclusive) {
    // link() fails when `path` exists, so two writers cannot both win.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      status = Errno("cannot create", path, errno);
    }
    ::unlink(tmp.c_str());
  } else if (status && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Errno("cannot rename into", path, errno);
  }
  if (!status) {
    ::unlink(tmp.c_str());
    return status;
  }
  FsyncDirectory(DirectoryOf(path));
  return OkStatus();
}

Status WriteFilesTogether(const std::vector<PendingFile>& files) {
  for (size_t i = 0; i < files.size(); ++i) {
    const Status st =
        WriteFileAtomic(files[i].path + kStagedSuffix, files[i].content, files[i].mode);
    if (!st) {
      for (size_t j = 0; j < i; ++j) {
        ::unlink((files[j].path + kStagedSuffix).c_str());
      }
      return st;
    }
  }
  for (const PendingFile& f : files) {
    const std::string staged = f.path + kStagedSuffix;
    if (::rename(staged.c_str(), f.path.c_str()) != 0) {
      return Errno("cannot rename into", f.path, errno);
    }
  }
  for (const PendingFile& f : files) {
    FsyncDirectory(DirectoryOf(f.path));
  }
  return OkStatus();
}

Status WriteToExisting(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    return Errno("cannot write", path, errno);
  }
  Status wrote = WriteAll(fd, content, path);
  if (::close(fd) != 0 && wrote) {
    wrote = Errno("cannot write", path, errno);
  }
  return wrote;
}

Status CheckWritable(const std::string& path) {
  if (path.empty() || path == "-") {
    return OkStatus();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error(Code::kInvalidArgument, path + " is a directory; give a file name");
  }
  const std::string dir = DirectoryOf(path);
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error(Code::kNotFound,
                 "cannot write " + path + ": the directory " + dir + " does not exist");
  }
  // The file is written beside itself and renamed over: the directory must take a new file.
  // Creating one is the only answer that holds for root and for every file system (access()
  // says yes to root on a read-only mount or in /sys).
  std::string probe = (std::filesystem::path(dir) / ".anchor-probe-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    return Errno("cannot write in the directory of", path, errno);
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return OkStatus();
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status MakeDirectories(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Error(Code::kInvalidArgument, "cannot create directory " + path + ": " + ec.message());
  }
  (void)::chmod(path.c_str(), mode);
  return OkStatus();
}

Status Fsync(const std::string& path) {
  const int fd = ::open(path.empty() ? "." : path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Errno("cannot open", path, errno);
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    // EIO or ENOSPC on fsync is the disk's state, not the caller's input: kUnavailable.
    return Error(Code::kUnavailable, "cannot fsync " + path + ": " + std::strerror(err));
  }
  return OkStatus();
}

}  // namespace anchor
