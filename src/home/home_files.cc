// SPDX-License-Identifier: Apache-2.0
// File: home_files.cc: the files of a CA home, by name.
#include "home/home_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/file_io.h"

namespace anchor::home {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 5> kCaCertNames = {"root", "intermediate", "server", "admin",
                                                          "ocsp"};
constexpr std::string_view kGenerations = "intermediates/";

// IsGenerationNumber is true for "1", "2", ... (no sign, no leading zero, at most 9 digits).
bool IsGenerationNumber(std::string_view s) {
  return !s.empty() && s.size() <= 9 && s[0] != '0' &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

HomeFileKind ClassifyTopLevel(std::string_view name) {
  if (name == "anchor.toml" || name == "root.crl") {
    return HomeFileKind::kPublic;
  }
  if (name == kAttestationKey) {
    return HomeFileKind::kKey;
  }
  if (name == kOwnCertificatesLock || name == kServingLock) {
    return HomeFileKind::kLock;
  }
  if (name == "anchor.db" || name == "anchor.db-wal" || name == "anchor.db-shm" ||
      name == "anchor.db-journal") {
    return HomeFileKind::kStore;
  }
  for (const std::string_view base : kCaCertNames) {
    if (name.size() == base.size() + 4 && name.starts_with(base)) {
      const std::string_view ext = name.substr(base.size());
      if (ext == ".crt") {
        return HomeFileKind::kPublic;
      }
      if (ext == ".key") {
        return HomeFileKind::kKey;
      }
    }
  }
  return HomeFileKind::kUnknown;
}

Error PermissionOr(const std::string& what, const std::string& path, const std::error_code& ec) {
  if (ec == std::errc::permission_denied) {
    return Error(Code::kFailedPrecondition,
                 "cannot read " + path + ": permission denied for user " + EffectiveUser());
  }
  return Error(Code::kUnavailable, what + " " + path + ": " + ec.message());
}

// Add appends the known file `rel` at `path` to `out`, following a symbolic link to a regular
// file and refusing anything else by name.
Status Add(const std::string& rel, const fs::path& path, HomeFileKind kind, HomeListing& out) {
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) != 0) {
    return PermissionOr("cannot read", path.string(),
                        std::error_code(errno, std::generic_category()));
  }
  HomeFile f{rel, path.string(), kind, S_ISLNK(lst.st_mode)};
  struct stat st {};
  if (f.symlink && ::stat(path.c_str(), &st) != 0) {
    return Error(Code::kFailedPrecondition,
                 path.string() + " is a symbolic link that leads nowhere (" + std::strerror(errno) +
                     "); put the file itself there");
  }
  if (!S_ISREG(f.symlink ? st.st_mode : lst.st_mode)) {
    return Error(Code::kFailedPrecondition,
                 path.string() +
                     (f.symlink ? " is a symbolic link to something" : " is something") +
                     " other than a regular file; a CA home keeps " + rel + " as a file");
  }
  out.files.push_back(std::move(f));
  return OkStatus();
}

// ListGenerations adds intermediates/current and each intermediates/<N>/'s files.
Status ListGenerations(const fs::path& dir, HomeListing& out) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string rel = std::string(kGenerations) + name;
    if (name == "current") {
      ANCHOR_TRY(Add(rel, it->path(), HomeFileKind::kPublic, out));
    } else if (IsGenerationNumber(name) && it->is_directory() && !it->is_symlink()) {
      for (auto g = fs::directory_iterator(it->path(), ec); !ec && g != fs::directory_iterator();
           g.increment(ec)) {
        const std::string grel = rel + "/" + g->path().filename().string();
        const HomeFileKind kind = ClassifyHomeFile(grel);
        if (kind == HomeFileKind::kUnknown) {
          out.unknown.push_back(grel);
        } else {
          ANCHOR_TRY(Add(grel, g->path(), kind, out));
        }
      }
    } else {
      out.unknown.push_back(rel);
    }
  }
  return ec ? Status(PermissionOr("cannot list", dir.string(), ec)) : OkStatus();
}

}  // namespace

HomeFileKind ClassifyHomeFile(std::string_view rel) {
  if (!rel.starts_with(kGenerations)) {
    return ClassifyTopLevel(rel);
  }
  const std::string_view rest = rel.substr(kGenerations.size());
  if (rest == "current") {
    return HomeFileKind::kPublic;
  }
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || !IsGenerationNumber(rest.substr(0, slash))) {
    return HomeFileKind::kUnknown;
  }
  const std::string_view file = rest.substr(slash + 1);
  if (file == "intermediate.crt") {
    return HomeFileKind::kPublic;
  }
  return file == "intermediate.key" ? HomeFileKind::kKey : HomeFileKind::kUnknown;
}

Result<HomeListing> ListHomeFiles(const std::string& home) {
  HomeListing out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(home, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const HomeFileKind kind = ClassifyTopLevel(name);
    if (kind == HomeFileKind::kStore || kind == HomeFileKind::kLock) {
      continue;  // the store goes by its snapshot; a lock is no content
    }
    if (name + "/" == kGenerations && it->is_directory() && !it->is_symlink()) {
      ANCHOR_TRY(ListGenerations(it->path(), out));
    } else if (kind == HomeFileKind::kUnknown) {
      out.unknown.push_back(name);
    } else {
      ANCHOR_TRY(Add(name, it->path(), kind, out));
    }
  }
  if (ec) {
    return PermissionOr("cannot list", home, ec);
  }
  const auto by_rel = [](const auto& a, const auto& b) { return a.rel < b.rel; };
  std::sort(out.files.begin(), out.files.end(), by_rel);
  std::sort(out.unknown.begin(), out.unknown.end());
  return out;
}

}  // namespace anchor::home
