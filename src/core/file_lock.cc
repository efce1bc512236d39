// SPDX-License-Identifier: Apache-2.0
// File: file_lock.cc: flock(2) on a lock file.
#include "core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace anchor {

namespace {

// Lock opens `path` (0600, created when missing) and flocks it with `operation`.
Result<int> Lock(const std::string& path, int operation) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(Code::kUnavailable,
                 "cannot open the lock file " + path + ": " + std::strerror(errno));
  }
  int rc = 0;
  while ((rc = ::flock(fd, operation)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Error(Code::kFailedPrecondition, path + " is held by another process");
    }
    return Error(Code::kUnavailable, "cannot lock " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(const int fd, Lock(path, LOCK_EX));
  return FileLock(fd);
}

Result<FileLock> FileLock::AcquireShared(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(const int fd, Lock(path, LOCK_SH));
  return FileLock(fd);
}

Result<FileLock> FileLock::TryAcquire(const std::string& path) {
  ANCHOR_ASSIGN_OR_RETURN(const int fd, Lock(path, LOCK_EX | LOCK_NB));
  return FileLock(fd);
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // closing the last descriptor releases the flock
  }
}

}  // namespace anchor
