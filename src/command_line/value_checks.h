// SPDX-License-Identifier: Apache-2.0
// File: value_checks.h: values on the command line checked while it is parsed, so that a value
// that cannot be read (a bad duration, a listen address without a port, an empty path) is a
// usage error (exit 2, one line) like an unknown option, before any work starts.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace anchor::command_line {

// ParsedBy is the one way a command makes its own parser a parse-time check: `parse` reads the
// value and says what is wrong with it as an Error, whose message CLI11 prints after the option's
// name ("--ttl: '5x' is not a duration ..."); Parse then exits kExitUsage. `type_name` is what
// --help shows for the value ("DURATION"). Use it for values that are wrong whatever the CA's
// state; a value refused by policy or state (a --ttl beyond the token's bound) stays the
// command's own kInvalidArgument (exit 1).
CLI::Validator ParsedBy(std::string type_name,
                        std::function<Status(const std::string& value)> parse);

// Duration checks a value with ParseDuration (core/duration.h): 90s, 30m, 1h30m, 7d, 2w.
CLI::Validator Duration();

// Sha256Fingerprint checks a --fingerprint value with ParseSha256Fingerprint
// (core/fingerprint.h): 64 hex digits, colons and openssl's "sha256 Fingerprint=" allowed.
CLI::Validator Sha256Fingerprint();

// NonEmptyPath refuses "" for a file or directory option: `--out ''` must not silently mean
// standard output, nor `--home ''` the default home.
CLI::Validator NonEmptyPath();

// NonEmptyTcti refuses "" for --tpm: an unset variable in `--tpm "$TCTI"` must not silently mean
// a key made outside the TPM.
CLI::Validator NonEmptyTcti();

// AddServerOption adds --server to `cmd`, bound to `servers`, the same for `anchor` and
// `anchor-agent`: each occurrence takes one value, a URL of anchor serve or a comma-separated
// list of them, and the option may be repeated; all the URLs together are the replicas of one
// CA, which the client tries in turn. `check` judges each value while the command line is parsed
// (a refusal is a usage error, exit 2): `anchor` passes client::ServerList::CheckUrls, the whole
// rule; without one (anchor-agent, which links no client code: its worker applies the rule) only
// empty items are refused. Returns the option, for `required()`.
CLI::Option* AddServerOption(CLI::App* cmd, std::vector<std::string>& servers,
                             std::function<Status(const std::string& value)> check = nullptr);

}  // namespace anchor::command_line
