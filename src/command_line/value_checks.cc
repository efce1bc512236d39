// SPDX-License-Identifier: Apache-2.0
// File: value_checks.cc: parsers and simple rules as CLI11 validators (see value_checks.h).
#include "command_line/value_checks.h"

#include <utility>

#include "core/duration.h"
#include "core/fingerprint.h"
#include "core/text.h"

namespace anchor::command_line {

CLI::Validator ParsedBy(std::string type_name,
                        std::function<Status(const std::string& value)> parse) {
  // CLI11 takes a non-empty string from a validator as the reason the value is refused.
  return CLI::Validator(
      [parse = std::move(parse)](std::string& value) -> std::string {
        const Status st = parse(value);
        return st ? std::string() : st.error().message();
      },
      std::move(type_name));
}

CLI::Validator Duration() {
  return ParsedBy("DURATION", [](const std::string& value) -> Status {
    ANCHOR_TRY(ParseDuration(value));
    return OkStatus();
  });
}

CLI::Validator Sha256Fingerprint() {
  return ParsedBy("SHA256", [](const std::string& value) -> Status {
    ANCHOR_TRY(ParseSha256Fingerprint(value));
    return OkStatus();
  });
}

CLI::Validator NonEmptyPath() {
  return ParsedBy("PATH", [](const std::string& value) -> Status {
    if (value.empty()) {
      return Error(Code::kInvalidArgument, "an empty path; give a file or directory name");
    }
    return OkStatus();
  });
}

CLI::Validator NonEmptyTcti() {
  return ParsedBy("TCTI", [](const std::string& value) -> Status {
    if (value.empty()) {
      return Error(Code::kInvalidArgument,
                   "an empty TCTI; name the TPM, e.g. device:/dev/tpmrm0 or "
                   "swtpm:host=127.0.0.1,port=2321");
    }
    return OkStatus();
  });
}

namespace {

// NoEmptyUrl refuses a --server value with an empty item ("a,,b", "a,").
Status NoEmptyUrl(const std::string& value) {
  for (const std::string& url : SplitList(value, ',')) {
    if (url.empty()) {
      return Error(Code::kInvalidArgument,
                   "'" + Printable(value) +
                       "' holds an empty URL; give https://HOST:PORT, or several separated by "
                       "single commas");
    }
  }
  return OkStatus();
}

}  // namespace

CLI::Option* AddServerOption(CLI::App* cmd, std::vector<std::string>& servers,
                             std::function<Status(const std::string& value)> check) {
  return cmd
      ->add_option("--server", servers,
                   "URL of anchor serve, e.g. https://ca.example:8443; replicas of one CA: repeat "
                   "--server or separate URLs with commas (tried in turn when one is down)")
      ->check(ParsedBy("URL", check ? std::move(check) : NoEmptyUrl))
      // One URL (or comma list) per --server, so that `--server URL SERIAL` leaves SERIAL alone.
      ->allow_extra_args(false);
}

}  // namespace anchor::command_line
