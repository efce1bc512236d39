// SPDX-License-Identifier: Apache-2.0
// File: file_lock.h: an exclusive advisory lock on a file (flock(2)), held for the lifetime of
// a FileLock, so that processes which replace the same files take turns.
#pragma once

#include <string>

#include "core/error.h"

namespace anchor {

// FileLock holds flock(LOCK_EX) on a lock file until it is destroyed (or the process ends: the
// kernel releases a dead holder's lock, so a crash never leaves it held). The lock is per open
// file description: a second FileLock on the same path in the same process waits for the first.
class FileLock final {
 public:
  // Acquire creates `path` (0600) when missing and waits until the lock is ours. Errors:
  // kUnavailable naming `path` when it cannot be opened or locked.
  static Result<FileLock> Acquire(const std::string& path);
  // AcquireShared is Acquire with flock(LOCK_SH): any number of shared holders at once (each
  // `anchor serve` on a home), waiting only while an exclusive one holds it.
  static Result<FileLock> AcquireShared(const std::string& path);
  // TryAcquire takes the lock exclusively if nobody holds it, shared or not, and does not wait:
  // kFailedPrecondition ("held") when someone does.
  static Result<FileLock> TryAcquire(const std::string& path);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace anchor
