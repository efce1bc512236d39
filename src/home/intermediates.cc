// SPDX-License-Identifier: Apache-2.0
// File: intermediates.cc: the intermediates/ directory of a CA home.
#include "home/intermediates.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <tuple>

#include "core/file_io.h"
#include "core/text.h"
#include "crypto/key_file.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCurrent = "current";
constexpr const char* kCertName = "intermediate.crt";
constexpr const char* kKeyName = "intermediate.key";

std::string InHome(const std::string& home, const std::string& name) {
  return (fs::path(home) / name).string();
}

// GenerationNumber reads a directory name of intermediates/ ("1", "2", ...); nullopt for others.
std::optional<int> GenerationNumber(const std::string& name) {
  int n = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec != std::errc() || end != name.data() + name.size() || n < 1 || name.front() == '0') {
    return std::nullopt;
  }
  return n;
}

// Numbers lists the generation directories under intermediates/, ascending.
Result<std::vector<int>> Numbers(const std::string& home) {
  std::vector<int> out;
  std::error_code ec;
  const fs::path dir = IntermediatesDir(home);
  if (!fs::exists(dir, ec)) {
    return out;
  }
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_directory(ec)) {
      continue;  // current
    }
    if (auto n = GenerationNumber(e.path().filename().string())) {
      out.push_back(*n);
    }
  }
  if (ec) {
    return Error(Code::kUnavailable, "cannot read " + dir.string() + ": " + ec.message());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// CopyFile copies `from` to `to` byte for byte (an encrypted key stays encrypted), atomically.
Status CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  ANCHOR_ASSIGN_OR_RETURN(std::string content, ReadFile(from));
  return WriteFileAtomic(to, content, mode);
}

}  // namespace

std::string IntermediatesDir(const std::string& home) { return InHome(home, "intermediates"); }

GenerationFiles FilesOf(const std::string& home, int number) {
  const fs::path dir = fs::path(IntermediatesDir(home)) / std::to_string(number);
  return GenerationFiles{number, dir.string(), (dir / kCertName).string(),
                         (dir / kKeyName).string()};
}

Result<int> CurrentGeneration(const std::string& home) {
  const std::string pointer = (fs::path(IntermediatesDir(home)) / kCurrent).string();
  if (!FileExists(pointer)) {
    return 1;  // never rotated: intermediate.crt is generation 1
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(pointer, 64));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  const auto n = GenerationNumber(text);
  if (!n || !FileExists(FilesOf(home, *n).cert)) {
    return Error(Code::kFailedPrecondition,
                 pointer + " should name the issuing generation N (a directory of " +
                     IntermediatesDir(home) + " holding its certificate); it holds '" +
                     Printable(text) + "'");
  }
  return *n;
}

Result<GenerationFiles> IssuingFiles(const std::string& home) {
  if (!FileExists((fs::path(IntermediatesDir(home)) / kCurrent).string())) {
    return GenerationFiles{1, home, InHome(home, kCertName), InHome(home, kKeyName)};
  }
  ANCHOR_ASSIGN_OR_RETURN(const int n, CurrentGeneration(home));
  return FilesOf(home, n);
}

Status RefreshTopLevelCopies(const std::string& home) {
  ANCHOR_ASSIGN_OR_RETURN(const GenerationFiles issuing, IssuingFiles(home));
  if (issuing.dir == home) {
    return OkStatus();
  }
  for (const auto& [from, to, mode] :
       {std::tuple{issuing.key, InHome(home, kKeyName), kPrivateKeyMode},
        std::tuple{issuing.cert, InHome(home, kCertName), kPublicFileMode}}) {
    ANCHOR_ASSIGN_OR_RETURN(std::string content, ReadFile(from));
    auto existing = ReadFile(to);
    if (!existing || *existing != content) {
      ANCHOR_TRY(WriteFileAtomic(to, content, mode));
    }
  }
  return OkStatus();
}

Result<std::vector<GenerationFiles>> RetiredGenerations(const std::string& home) {
  ANCHOR_ASSIGN_OR_RETURN(const int current, CurrentGeneration(home));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<int> numbers, Numbers(home));
  std::vector<GenerationFiles> out;
  for (auto it = numbers.rbegin(); it != numbers.rend(); ++it) {
    GenerationFiles files = FilesOf(home, *it);
    if (*it != current && FileExists(files.cert)) {
      out.push_back(std::move(files));
    }
  }
  return out;
}

Result<std::optional<int>> PendingGeneration(const std::string& home) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<int> numbers, Numbers(home));
  for (auto it = numbers.rbegin(); it != numbers.rend(); ++it) {
    const GenerationFiles files = FilesOf(home, *it);
    if (FileExists(files.key) && !FileExists(files.cert)) {
      return std::optional<int>(*it);
    }
  }
  return std::optional<int>();
}

void RemoveGeneration(const std::string& home, int number) {
  if (FileExists((fs::path(IntermediatesDir(home)) / kCurrent).string())) {
    const Result<int> current = CurrentGeneration(home);
    if (!current || *current == number) {
      return;  // the issuing generation (or one `current` may name): never removed
    }
  }
  std::error_code ec;
  fs::remove_all(FilesOf(home, number).dir, ec);
}

Result<int> NextGeneration(const std::string& home) {
  ANCHOR_ASSIGN_OR_RETURN(const int current, CurrentGeneration(home));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<int> numbers, Numbers(home));
  const int highest = numbers.empty() ? current : std::max(current, numbers.back());
  return highest + 1;
}

Status WriteGenerationKey(const std::string& home, int number, const crypto::PrivateKey& key,
                          const SecretBytes* passphrase) {
  const GenerationFiles files = FilesOf(home, number);
  ANCHOR_TRY(MakeDirectories(files.dir, 0700));
  if (FileExists(files.key)) {
    return Error(Code::kAlreadyExists, files.key + " exists already");
  }
  return crypto::WritePrivateKeyFile(files.key, key, passphrase);
}

Status WriteGenerationCertificate(const std::string& home, int number,
                                  const crypto::Certificate& cert) {
  return WriteFileAtomic(FilesOf(home, number).cert, cert.ToPem(), kPublicFileMode);
}

Status SwitchTo(const std::string& home, int number) {
  const std::string pointer = (fs::path(IntermediatesDir(home)) / kCurrent).string();
  if (!FileExists(pointer)) {
    // The legacy layout: generation 1 gets its directory, its files copied as they are (an
    // encrypted key stays encrypted).
    const GenerationFiles first = FilesOf(home, 1);
    ANCHOR_TRY(MakeDirectories(first.dir, 0700));
    ANCHOR_TRY(CopyFile(InHome(home, kKeyName), first.key, kPrivateKeyMode));
    ANCHOR_TRY(CopyFile(InHome(home, kCertName), first.cert, kPublicFileMode));
  }
  const GenerationFiles next = FilesOf(home, number);
  if (!FileExists(next.cert) || !FileExists(next.key)) {
    return Error(Code::kFailedPrecondition, "generation " + std::to_string(number) +
                                                " lacks its certificate or key in " + next.dir);
  }
  // The one step that switches the issuing intermediate.
  ANCHOR_TRY(WriteFileAtomic(pointer, std::to_string(number) + "\n", kPublicFileMode));
  // Switched: from here on a failure must not undo anything (`current` names the new
  // generation). The copies are best effort, as in CaHome::Open, which retries them: anchor
  // itself reads the pair `current` names.
  (void)RefreshTopLevelCopies(home);
  return OkStatus();
}

}  // namespace anchor::home
