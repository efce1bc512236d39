// SPDX-License-Identifier: Apache-2.0
// File: mailbox.h: rfc822Name names: an RFC 5321 Mailbox in ASCII (RFC 5280 4.2.1.6).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor::names {

//= https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.1.1
//# The maximum total length of a user name or other local-part is 64 octets.
inline constexpr size_t kMaxLocalPartLength = 64;
//= https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.1.3
//# The maximum total length of a reverse-path or forward-path is 256 octets (including the
//# punctuation and element separators).
// The path is "<" Mailbox ">", so a mailbox is at most 254 octets.
inline constexpr size_t kMaxMailboxLength = 254;

// NormalizeMailbox checks `text` as an rfc822Name: Local-part "@" Domain, where the local part
// is an RFC 5321 Dot-string or Quoted-string in ASCII and the domain a DNS name (normalised to
// lower case and A-labels; an address literal "[...]" is refused). The local part is kept as
// written: it is case-sensitive. Errors are kInvalidArgument naming the fault. A non-ASCII
// local part needs an SmtpUTF8Mailbox (RFC 8398), which anchor does not issue.
Result<std::string> NormalizeMailbox(std::string_view text);

}  // namespace anchor::names
