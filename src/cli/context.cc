// SPDX-License-Identifier: Apache-2.0
// File: context.cc: shared CLI plumbing.
#include "cli/context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/passphrase_prompt.h"
#include "command_line/value_checks.h"
#include "core/file_io.h"
#include "core/text.h"
#include "crypto/pkcs11_key.h"

namespace anchor::cli {

Context::Context() = default;

namespace {

// WithoutTrailingSlash is "ca" for "ca/" and "ca//"; "/" stays "/".
std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

}  // namespace

std::string Context::Home() const {
  if (!home_flag.empty()) {
    return WithoutTrailingSlash(home_flag);
  }
  if (const char* env = std::getenv("ANCHOR_HOME"); env != nullptr && *env != '\0') {
    return WithoutTrailingSlash(env);
  }
  const char* user_home = std::getenv("HOME");
  return std::string(user_home != nullptr ? user_home : ".") + "/.anchor";
}

Result<const SecretBytes*> Context::Passphrase() {
  if (!passphrase_loaded_) {
    passphrase_loaded_ = true;
    if (!passphrase_file.empty()) {
      ANCHOR_ASSIGN_OR_RETURN(SecretBytes pass, ReadSecretLine(passphrase_file));
      if (pass.empty()) {
        return Error(Code::kInvalidArgument,
                     passphrase_file + ": the passphrase file's first line is empty");
      }
      passphrase_ = std::move(pass);
    } else if (const char* env = std::getenv("ANCHOR_PASSPHRASE"); env != nullptr && *env != '\0') {
      passphrase_ = SecretBytes(env);
    }
  }
  return passphrase_ ? &*passphrase_ : nullptr;
}

Status Context::LoadPkcs11Pin() const {
  if (!pin_file.empty()) {
    auto pin = ReadSecretLine(pin_file, 4096);  // a PIN is a line, not a file's worth
    if (!pin) {
      return pin.error().Prefixed("--pin-file");
    }
    if (pin->empty()) {
      return Error(Code::kInvalidArgument, pin_file + ": the PIN file's first line is empty");
    }
    crypto::SetPkcs11Pin(std::string_view(pin->data(), pin->size()));
  } else if (const char* env = std::getenv("ANCHOR_PKCS11_PIN"); env != nullptr && *env != '\0') {
    crypto::SetPkcs11Pin(env);
    ::unsetenv("ANCHOR_PKCS11_PIN");  // not handed on to what anchor runs (hooks, helpers)
  }
  return OkStatus();
}

Result<const SecretBytes*> Context::NewPassphrase(std::string_view what) {
  ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* given, Passphrase());
  if (given != nullptr || !StdinIsTerminal()) {
    return given;
  }
  ANCHOR_ASSIGN_OR_RETURN(std::optional<SecretBytes> typed, PromptNewPassphrase(what));
  passphrase_ = std::move(typed);
  return passphrase_ ? &*passphrase_ : nullptr;
}

Result<home::CaHome*> Context::OpenCa(bool need_key) {
  if (!ca_) {
    ANCHOR_ASSIGN_OR_RETURN(const SecretBytes* pass, Passphrase());
    ANCHOR_ASSIGN_OR_RETURN(ca_, home::CaHome::Open(Home(), pass, need_key, clock_, rng_));
  }
  return ca_.get();
}

void Context::Warn(const std::string& message) const {
  std::fprintf(stderr, "anchor: warning: %s\n", message.c_str());
}

void Context::Say(const std::string& message) const {
  if (!quiet) {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
}

Result<std::vector<crypto::GeneralName>> Context::ParseSans(
    const std::vector<std::string>& values) const {
  std::vector<crypto::GeneralName> out;
  for (const std::string& v : values) {
    auto name = crypto::ParseGeneralName(v);
    if (!name) {
      return name.error().Prefixed("--san " + v);
    }
    const std::string written = name->ToString();
    const std::string given = v.find(':') == std::string::npos ? written : v;
    if (std::find(out.begin(), out.end(), *name) != out.end()) {
      Warn("--san " + v + ": named twice; it is written once");
      continue;
    }
    if (ToLower(given.substr(0, given.find(':'))) + given.substr(given.find(':')) != written) {
      Warn("--san " + v + " is written as " + written);
    }
    out.push_back(std::move(name).value());
  }
  return out;
}

void AddJsonFlag(CLI::App* cmd, Context& ctx) {
  cmd->add_flag("--json", ctx.json, "print one JSON document on stdout (README: JSON output)");
}

void PrintJson(const nlohmann::json& document) { std::cout << document.dump(2) << "\n"; }

Status WriteOutput(const std::string& path, const std::string& content, mode_t mode) {
  if (path.empty() || path == "-") {
    std::cout << content << std::flush;
    return OkStatus();
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    // /dev/stdout, a FIFO, a terminal: write into it; renaming a file over it would replace the
    // device node itself.
    return WriteToExisting(path, content);
  }
  return WriteFileAtomic(path, content, mode);
}

Result<std::string> ReadInput(const std::string& path, size_t max_bytes) {
  if (path == "-") {
    return ReadBounded(STDIN_FILENO, max_bytes, "standard input");
  }
  return ReadFile(path, max_bytes);
}

CLI::Validator KeyUriCheck() {
  return command_line::ParsedBy("URI", [](const std::string& uri) -> Status {
    auto parsed = crypto::ParsePkcs11KeyUri(uri);
    return parsed ? OkStatus() : Status(parsed.error());
  });
}

}  // namespace anchor::cli
