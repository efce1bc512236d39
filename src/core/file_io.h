// SPDX-License-Identifier: Apache-2.0
// File: file_io.h: reading files and writing them atomically (temp file, fsync, rename).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret_bytes.h"

namespace anchor {

// kMaxFileBytes bounds every file anchor reads whole: configuration, certificates, keys, CRLs,
// caches. None is near it; a file that is (or a device such as /dev/zero) is refused rather
// than read into memory.
inline constexpr size_t kMaxFileBytes = 64u << 20;

// ReadFile returns the whole content of `path`, or kNotFound / kInvalidArgument naming the path.
// A file larger than `max_bytes` is kInvalidArgument ("larger than N"), found without reading
// more than `max_bytes` + 1 bytes of it, whatever it is (a pipe, a device, a growing file).
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = kMaxFileBytes);

// ReadSecretLine returns the first line of `path` (without its line end) as secret bytes and wipes
// what it read: a passphrase, a PIN or a token kept in a file, whose trailing newline an editor or
// `echo` adds and which must not count. Errors as ReadFile's.
Result<SecretBytes> ReadSecretLine(const std::string& path, size_t max_bytes = kMaxFileBytes);

// ReadBounded reads `fd` to its end, at most `max_bytes`; more is kInvalidArgument naming
// `what`. It does not close `fd`.
Result<std::string> ReadBounded(int fd, size_t max_bytes, const std::string& what);

// EffectiveUser names the user whose permissions the kernel checks for this process (its
// effective uid): "mosquitto (uid 102)", or "uid 1234" when the uid has no name. Errors for
// EACCES and EPERM from this file's functions say "permission denied for user <EffectiveUser()>".
std::string EffectiveUser();

// SizeText writes a byte count for people: "64 KiB", "1 MiB".
std::string SizeText(size_t bytes);

// WriteFileAtomic writes `content` to a temporary file beside `path` created with `mode`, fsyncs
// it, renames it over `path` and fsyncs the directory, so a reader sees the old file or the new
// one, never a part. With `exclusive` it fails with kAlreadyExists instead of replacing a file.
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       bool exclusive = false);

// WriteToExisting writes `content` into the existing `path` (a device, a FIFO) as it is,
// without a temporary file or a rename.
Status WriteToExisting(const std::string& path, std::string_view content);

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

// CheckWritable tells, before any work is done, whether `path` can be written the way
// WriteFileAtomic writes it: its directory exists and this process may create files in it, and
// `path` is not a directory. Errors name the path and what to fix. "" and "-" (stdout) pass.
Status CheckWritable(const std::string& path);

// FileExists is true when `path` names an existing file system entry.
bool FileExists(const std::string& path);

// Fsync makes `path` durable: a file's content, or a directory's entries (a rename or an unlink
// in it). Errors (kUnavailable) name the path.
Status Fsync(const std::string& path);

// MakeDirectories creates `path` and its parents with `mode` (as `mkdir -p`).
Status MakeDirectories(const std::string& path, mode_t mode);

}  // namespace anchor
