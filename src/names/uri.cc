// SPDX-License-Identifier: Apache-2.0
// File: uri.cc: the RFC 3986 section 3 grammar, component by component.
#include "names/uri.h"

#include <cctype>
#include <cstring>

#include "core/text.h"
#include "names/ip_address.h"

namespace anchor::names {
namespace {

Error Bad(std::string_view uri, const std::string& why) {
  return Error(Code::kInvalidArgument, "'" + Printable(uri) + "' is not a valid URI: " + why);
}

//= https://www.rfc-editor.org/rfc/rfc3986#section-2.3
//# unreserved  = ALPHA / DIGIT / "-" / "." / "_" / "~"
bool IsUnreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

//= https://www.rfc-editor.org/rfc/rfc3986#section-2.2
//# sub-delims  = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
bool IsSubDelim(char c) { return c != '\0' && std::strchr("!$&'()*+,;=", c) != nullptr; }

// CheckChars checks that `part` (starting at `offset` in `uri`) holds only unreserved and
// sub-delim characters, percent-encodings, and the characters of `extra`.
Status CheckChars(std::string_view uri, std::string_view part, size_t offset, const char* extra,
                  const char* component) {
  for (size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c == '%') {
      //= https://www.rfc-editor.org/rfc/rfc3986#section-2.1
      //# pct-encoded = "%" HEXDIG HEXDIG
      if (i + 2 >= part.size() || !std::isxdigit(static_cast<unsigned char>(part[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(part[i + 2]))) {
        return Bad(uri, "the '%' at position " + std::to_string(offset + i + 1) +
                            " is not followed by two hex digits");
      }
      i += 2;
      continue;
    }
    if (IsUnreserved(c) || IsSubDelim(c) || (c != '\0' && std::strchr(extra, c) != nullptr)) {
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    const std::string shown = byte < 0x21 || byte > 0x7e ? "a space, control or non-ASCII byte"
                                                         : "'" + std::string(1, c) + "'";
    return Bad(uri, shown + " at position " + std::to_string(offset + i + 1) +
                        " is not allowed in the " + component + " (percent-encode it)");
  }
  return OkStatus();
}

//= https://www.rfc-editor.org/rfc/rfc3986#section-3.1
//# scheme      = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool IsScheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (const char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

struct Authority {
  std::string_view userinfo;
  std::string_view host;
  std::string_view port;
};

Authority SplitAuthority(std::string_view authority) {
  Authority a;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    a.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  const size_t close = authority.starts_with('[') ? authority.find(']') : 0;
  const size_t colon = authority.find(':', close == std::string_view::npos ? 0 : close);
  a.host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    a.port = authority.substr(colon + 1);
  }
  return a;
}

//= https://www.rfc-editor.org/rfc/rfc3986#section-3.2
//# authority   = [ userinfo "@" ] host [ ":" port ]
Status CheckAuthority(std::string_view uri, std::string_view authority, size_t offset) {
  const Authority a = SplitAuthority(authority);
  ANCHOR_TRY(CheckChars(uri, a.userinfo, offset, ":", "user information"));
  if (a.host.starts_with('[')) {
    //= https://www.rfc-editor.org/rfc/rfc3986#section-3.2.2
    //# IP-literal = "[" ( IPv6address / IPvFuture  ) "]"
    const auto ip = a.host.ends_with(']') ? ParseIpAddress(a.host.substr(1, a.host.size() - 2))
                                          : Result<std::vector<uint8_t>>(std::vector<uint8_t>{});
    if (!ip || ip->size() != 16) {
      return Bad(uri, "the host " + std::string(a.host) + " is not a bracketed IPv6 address");
    }
  } else {
    ANCHOR_TRY(CheckChars(uri, a.host, offset + a.userinfo.size(), "", "host"));
  }
  for (const char c : a.port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Bad(uri, "the port '" + std::string(a.port) + "' is not a number");
    }
  }
  return OkStatus();
}

}  // namespace

Status CheckUri(std::string_view uri) {
  //= https://www.rfc-editor.org/rfc/rfc3986#section-3
  //# URI         = scheme ":" hier-part [ "?" query ] [ "#" fragment ]
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || !IsScheme(uri.substr(0, colon))) {
    return Bad(uri,
               "it does not start with a scheme (write e.g. urn:example:id or "
               "https://host/path)");
  }
  std::string_view rest = uri.substr(colon + 1);
  size_t offset = colon + 1;
  std::string_view fragment, query;
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    fragment = rest.substr(hash + 1);
    ANCHOR_TRY(CheckChars(uri, fragment, offset + hash + 1, ":@/?", "fragment"));
    rest = rest.substr(0, hash);
  }
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    ANCHOR_TRY(CheckChars(uri, query, offset + q + 1, ":@/?", "query"));
    rest = rest.substr(0, q);
  }
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.6
  //# The name MUST include both a scheme (e.g., "http" or "ftp") and a scheme-specific-part.
  if (rest.empty()) {
    return Bad(uri, "nothing follows the scheme");
  }
  if (rest.starts_with("//")) {
    const size_t slash = rest.find('/', 2);
    ANCHOR_TRY(CheckAuthority(uri, rest.substr(2, slash - 2), offset + 2));
    if (slash == std::string_view::npos) {
      return OkStatus();
    }
    offset += slash;
    rest.remove_prefix(slash);
  }
  //= https://www.rfc-editor.org/rfc/rfc3986#section-3.3
  //# pchar         = unreserved / pct-encoded / sub-delims / ":" / "@"
  return CheckChars(uri, rest, offset, ":@/", "path");
}

std::optional<std::string> UriHost(std::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || uri.substr(colon + 1, 2) != "//") {
    return std::nullopt;
  }
  std::string_view authority = uri.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  std::string_view host = SplitAuthority(authority).host;
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
  }
  return ToLower(host);
}

}  // namespace anchor::names
