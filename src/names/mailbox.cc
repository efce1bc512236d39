// SPDX-License-Identifier: Apache-2.0
// File: mailbox.cc: the RFC 5321 Mailbox grammar.
#include "names/mailbox.h"

#include <cctype>
#include <cstring>

#include "core/text.h"
#include "names/dns_name.h"
#include "names/utf8.h"

namespace anchor::names {
namespace {

Error Bad(std::string_view text, const std::string& why) {
  return Error(Code::kInvalidArgument,
               "'" + Printable(text) + "' is not a valid email address: " + why);
}

//= https://www.rfc-editor.org/rfc/rfc5322#section-3.2.3
//# atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/" / "=" /
//#         "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
bool IsAtext(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

// DotStringEnd returns where a Dot-string starting at `text` ends, or an error.
//= https://www.rfc-editor.org/rfc/rfc5321#section-4.1.2
//# Dot-string     = Atom *("."  Atom)
Result<size_t> DotStringEnd(std::string_view text, std::string_view whole) {
  size_t i = 0;
  while (true) {
    const size_t start = i;
    while (i < text.size() && IsAtext(text[i])) {
      ++i;
    }
    if (i == start) {
      return Bad(whole, i == 0 && (text.empty() || text[0] == '@')
                            ? "it has nothing before the '@'"
                            : "the part before the '@' has an empty part between dots, or a "
                              "leading or trailing dot (quote it: \"a..b\"@example.com)");
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    return i;
  }
}

//= https://www.rfc-editor.org/rfc/rfc5321#section-4.1.2
//# Quoted-string  = DQUOTE *QcontentSMTP DQUOTE
//# qtextSMTP      = %d32-33 / %d35-91 / %d93-126
//# quoted-pairSMTP  = %d92 %d32-126
Result<size_t> QuotedStringEnd(std::string_view text, std::string_view whole) {
  for (size_t i = 1; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      return i + 1;
    }
    if (c == '\\') {
      ++i;
      if (i >= text.size() || text[i] < 32 || text[i] > 126) {
        return Bad(whole, "a backslash in the quoted local part escapes nothing printable");
      }
      continue;
    }
    if (c < 32 || c > 126) {
      return Bad(whole, "the quoted local part holds a control character");
    }
  }
  return Bad(whole, "the quoted local part has no closing '\"'");
}

}  // namespace

Result<std::string> NormalizeMailbox(std::string_view text) {
  if (!IsAscii(text)) {
    const size_t at = text.rfind('@');
    if (at != std::string_view::npos && IsAscii(text.substr(0, at))) {
      // Only the domain holds Unicode: it has an A-label form, which is valid here.
      ANCHOR_ASSIGN_OR_RETURN(std::string domain,
                              NormalizeDnsName(text.substr(at + 1), Wildcard::kRefuse));
      return NormalizeMailbox(std::string(text.substr(0, at + 1)) + domain);
    }
    return Bad(text,
               "the part before the '@' must be ASCII (RFC 5321); anchor does not issue "
               "internationalized (SmtpUTF8Mailbox) addresses");
  }
  if (text.find('@') == std::string_view::npos) {
    return Bad(text, "it has no '@'; write local-part@domain");
  }
  size_t end = 0;
  if (!text.empty() && text[0] == '"') {
    ANCHOR_ASSIGN_OR_RETURN(end, QuotedStringEnd(text, text));
  } else {
    ANCHOR_ASSIGN_OR_RETURN(end, DotStringEnd(text, text));
  }
  if (end >= text.size()) {
    return Bad(text, "it has no '@' after the quoted local part");
  }
  if (text[end] != '@') {
    return Bad(text, "the character '" + std::string(1, text[end]) +
                         "' is not allowed before the '@' (quote the local part to use it)");
  }
  if (end > kMaxLocalPartLength) {
    return Bad(text, "the part before the '@' is longer than 64 characters");
  }
  const std::string_view domain = text.substr(end + 1);
  if (domain.empty()) {
    return Bad(text, "it has no domain after the '@'");
  }
  if (domain.find('@') != std::string_view::npos) {
    return Bad(text, "it has more than one '@' (quote the local part if it holds one)");
  }
  if (domain.front() == '[') {
    return Bad(text, "address literals ([...]) are not issued; write a domain name");
  }
  auto normal_domain = NormalizeDnsName(domain, Wildcard::kRefuse);
  if (!normal_domain) {
    return Bad(text, "its domain: " + normal_domain.error().message());
  }
  std::string out = std::string(text.substr(0, end + 1)) + *normal_domain;
  if (out.size() > kMaxMailboxLength) {
    return Bad(text.substr(0, 32), "it is longer than 254 characters");
  }
  return out;
}

}  // namespace anchor::names
