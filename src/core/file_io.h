// SPDX-License-Identifier: Apache-2.0
// File: file_io.h: reading files and writing them atomically (temp file, fsync, rename).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor {

// ReadFile returns the whole content of `path`, or kNotFound / kInvalidArgument naming the path.
Result<std::string> ReadFile(const std::string& path);

// WriteFileAtomic writes `content` to a temporary file beside `path` created with `mode`, fsyncs
// it, renames it over `path` and fsyncs the directory, so a reader sees the old file or the new
// one, never a part. With `exclusive` it fails with kAlreadyExists instead of replacing a file.
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       bool exclusive = false);

// kPrivateKeyMode is the mode of every private key file anchor writes.
inline constexpr mode_t kPrivateKeyMode = 0600;
// kPublicFileMode is the mode of certificates, CSRs and CRLs.
inline constexpr mode_t kPublicFileMode = 0644;

// FileExists is true when `path` names an existing file system entry.
bool FileExists(const std::string& path);

// MakeDirectories creates `path` and its parents with `mode` (as `mkdir -p`).
Status MakeDirectories(const std::string& path, mode_t mode);

}  // namespace anchor
