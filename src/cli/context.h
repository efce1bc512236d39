// SPDX-License-Identifier: Apache-2.0
// File: context.h: what every subcommand shares: the CA home, passphrase, clock, output.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/crypto_rng.h"
#include "home/ca_home.h"

namespace anchor::cli {

// Context is created once per process and handed to every subcommand.
class Context final {
 public:
  Context();

  // Home is --home, else $ANCHOR_HOME, else ~/.anchor; trailing slashes taken away ("ca/" is
  // "ca"). An empty --home is refused at parse time (command_line::NonEmptyPath).
  std::string Home() const;
  // Passphrase reads --passphrase-file (first line) or $ANCHOR_PASSPHRASE; nullptr when neither
  // is given. The bytes live as long as the context.
  Result<const SecretBytes*> Passphrase();
  // NewPassphrase is Passphrase() for keys about to be written: when neither the file nor the
  // environment gives one and standard input is a terminal, it asks for one (twice, no echo;
  // an empty answer is none). nullptr: the keys are written unencrypted.
  Result<const SecretBytes*> NewPassphrase(std::string_view what);
  // LoadPkcs11Pin hands crypto/ the PIN for keys in PKCS#11 tokens: --pin-file's first line,
  // else $ANCHOR_PKCS11_PIN; neither is no PIN (a token that needs one then says so).
  Status LoadPkcs11Pin() const;
  // OpenCa opens the CA home; with `need_key` it also loads the intermediate key.
  Result<home::CaHome*> OpenCa(bool need_key);

  // Warn prints "anchor: warning: MESSAGE" to stderr.
  void Warn(const std::string& message) const;
  // ParseSans parses every --san value (names/ checks each by its kind), naming the bad one;
  // a name written differently from how it was given (a U-label as its A-label, capitals) or
  // given twice is said in a warning.
  Result<std::vector<crypto::GeneralName>> ParseSans(const std::vector<std::string>& values) const;
  // Say prints a progress line to stderr unless --quiet.
  void Say(const std::string& message) const;

  const Clock& clock() const { return clock_; }
  Rng& rng() { return rng_; }

  // Options bound by run.cc.
  std::string home_flag;
  std::string passphrase_file;
  std::string pin_file;
  bool quiet = false;
  bool verbose = false;
  bool json = false;  // --json of the command that runs (AddJsonFlag)
  // json_detail is what a failing command found (a lint or audit report), printed with --json
  // inside the one error document as "detail", so that stdout still holds one document.
  nlohmann::json json_detail;

 private:
  SystemClock clock_;
  crypto::CryptoRng rng_;
  std::optional<SecretBytes> passphrase_;
  bool passphrase_loaded_ = false;
  std::unique_ptr<home::CaHome> ca_;
};

// KeyUriCheck is the parse-time check (exit 2) of a PKCS#11 key URI option (--key-uri).
CLI::Validator KeyUriCheck();

// Command is a registered subcommand's action; run.cc calls the one that was parsed.
using Action = std::function<Status()>;

// Each Register* adds one subcommand to `app` and returns the action that runs it.
void RegisterInit(CLI::App& app, Context& ctx, Action& action);
void RegisterKey(CLI::App& app, Context& ctx, Action& action);
void RegisterCsr(CLI::App& app, Context& ctx, Action& action);
void RegisterSign(CLI::App& app, Context& ctx, Action& action);
void RegisterIssue(CLI::App& app, Context& ctx, Action& action);
void RegisterInspect(CLI::App& app, Context& ctx, Action& action);
void RegisterVerify(CLI::App& app, Context& ctx, Action& action);
void RegisterLint(CLI::App& app, Context& ctx, Action& action);
void RegisterList(CLI::App& app, Context& ctx, Action& action);
void RegisterRevoke(CLI::App& app, Context& ctx, Action& action);
void RegisterCrl(CLI::App& app, Context& ctx, Action& action);
void RegisterTrust(CLI::App& app, Context& ctx, Action& action);
void RegisterAudit(CLI::App& app, Context& ctx, Action& action);
void RegisterToken(CLI::App& app, Context& ctx, Action& action);
void RegisterOcsp(CLI::App& app, Context& ctx, Action& action);
void RegisterServe(CLI::App& app, Context& ctx, Action& action);
void RegisterEnroll(CLI::App& app, Context& ctx, Action& action);
void RegisterRenew(CLI::App& app, Context& ctx, Action& action);
void RegisterDemo(CLI::App& app, Context& ctx, Action& action);
void RegisterBackup(CLI::App& app, Context& ctx, Action& action);
void RegisterRestore(CLI::App& app, Context& ctx, Action& action);
void RegisterStore(CLI::App& app, Context& ctx, Action& action);
// RegisterCa adds the `anchor ca` group; each of its subcommands is registered on it.
void RegisterCa(CLI::App& app, Context& ctx, Action& action);
void RegisterCaServerCert(CLI::App& ca, Context& ctx, Action& action);
void RegisterCaRotate(CLI::App& ca, Context& ctx, Action& action);
void RegisterCaSignIntermediate(CLI::App& ca, Context& ctx, Action& action);
void RegisterCaTakeRootOffline(CLI::App& ca, Context& ctx, Action& action);

// AddJsonFlag gives `cmd` the --json flag, bound to ctx.json: the command then prints one JSON
// document on stdout (README, "JSON output": an object, or an array for a list; on failure
// {"error": {"code", "message"}}), and its progress lines stay on stderr.
void AddJsonFlag(CLI::App* cmd, Context& ctx);
// PrintJson writes `document` to stdout, indented, and a newline.
void PrintJson(const nlohmann::json& document);

// WriteOutput writes `content` to `path`, or to stdout when `path` is empty or "-".
Status WriteOutput(const std::string& path, const std::string& content, mode_t mode);
// kMaxRequestFileBytes bounds a CSR, certificate, chain or key given to the CLI: each is a few
// KiB, so `anchor sign /dev/zero` fails at once with one line instead of exhausting memory.
inline constexpr size_t kMaxRequestFileBytes = 1u << 20;

// ReadInput reads `path` ("-" is standard input), at most `max_bytes`, naming it in errors.
Result<std::string> ReadInput(const std::string& path, size_t max_bytes = kMaxRequestFileBytes);

}  // namespace anchor::cli
