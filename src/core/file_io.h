// SPDX-License-Identifier: Apache-2.0
// File: file_io.h: reading files and writing them atomically (temp file, fsync, rename).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace anchor {

// ReadFile returns the whole content of `path`, or kNotFound / kInvalidArgument naming the path.
Result<std::string> ReadFile(const std::string& path);

// WriteFileAtomic writes `content` to a temporary file beside `path` created with `mode`, fsyncs
// it, renames it over `path` and fsyncs the directory, so a reader sees the old file or the new
// one, never a part. With `exclusive` it fails with kAlreadyExists instead of replacing a file.
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       bool exclusive = false);

// kStagedSuffix names the staged copy "<path>.new" that `WriteFilesTogether` writes first.
inline constexpr const char* kStagedSuffix = ".new";

// PendingFile is one file of a group that must change together (a key and its certificate).
struct PendingFile {
  std::string path;
  std::string content;
  mode_t mode;
};

// WriteFilesTogether writes every file to "<path>.new" (each atomically and fsynced) and, only
// once all are written, renames them over their paths in order. When a write fails (a full
// disk) no file is changed and the staged copies are removed. Renames need no space, so only a
// crash between them can leave the group half changed; the "<path>.new" files left then let
// the caller finish or undo it (see agent::RecoverInterruptedInstall).
Status WriteFilesTogether(const std::vector<PendingFile>& files);

// kPrivateKeyMode is the mode of every private key file anchor writes.
inline constexpr mode_t kPrivateKeyMode = 0600;
// kPublicFileMode is the mode of certificates, CSRs and CRLs.
inline constexpr mode_t kPublicFileMode = 0644;

// FileExists is true when `path` names an existing file system entry.
bool FileExists(const std::string& path);

// MakeDirectories creates `path` and its parents with `mode` (as `mkdir -p`).
Status MakeDirectories(const std::string& path, mode_t mode);

}  // namespace anchor
