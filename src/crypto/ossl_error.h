// SPDX-License-Identifier: Apache-2.0
// File: ossl_error.h: turns the OpenSSL error queue into an `Error`.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor::ossl {

// OsslError drains the thread's OpenSSL error queue into the detail of an `Error` with `code`.
// Call it right after a failing OpenSSL call; branch on return values, never on reason codes.
Error OsslError(std::string_view what, Code code = Code::kInternal,
                SourceLocation where = SourceLocation::current());

// RaiseExternalKeyError puts `error`, from a KeySigner (crypto/external_key.h), on the thread's
// queue for the OpenSSL call that signed through it; OsslError then returns its code (e.g.
// kUnavailable for a token that is gone for now) and text instead of `code` and the queue's lines.
void RaiseExternalKeyError(const Error& error);

// ClearErrors drops the queue when a failure is deliberately ignored (e.g. a parse attempt).
void ClearErrors();

}  // namespace anchor::ossl
