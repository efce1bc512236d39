// SPDX-License-Identifier: Apache-2.0
// File: passphrase_prompt.h: asking a person at a terminal for a passphrase, without echo.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "core/secret_bytes.h"

namespace anchor::cli {

// StdinIsTerminal says whether a person can be asked: standard input is a terminal. Scripts,
// pipes, cron and service managers are never prompted.
bool StdinIsTerminal();

// PromptNewPassphrase asks on the terminal (prompts on stderr, echo off and restored after each
// answer) for a new passphrase for `what`, twice. An empty first
// answer is nullopt: the person chose no passphrase. Two answers that differ, or the end of
// input, are kInvalidArgument and nothing is returned. Call only when StdinIsTerminal().
Result<std::optional<SecretBytes>> PromptNewPassphrase(std::string_view what);

}  // namespace anchor::cli
