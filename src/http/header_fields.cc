// SPDX-License-Identifier: Apache-2.0
// File: header_fields.cc: tokens, quoted strings, media types, lists and credentials.
#include "http/header_fields.h"

#include "core/text.h"

namespace anchor::http {
namespace {

//= https://www.rfc-editor.org/rfc/rfc9110#section-5.6.2
//# tchar          = "!" / "#" / "$" / "%" / "&" / "'" / "*"
//#                / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//#                / DIGIT / ALPHA
//#                ; any VCHAR, except delimiters
bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

//= https://www.rfc-editor.org/rfc/rfc9110#section-5.6.3
//# OWS            = *( SP / HTAB )
bool IsOws(char c) { return c == ' ' || c == '\t'; }

// Cursor walks a field value from left to right.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipOws() {
    while (!AtEnd() && IsOws(Peek())) {
      ++pos_;
    }
  }
  bool Take(char c) {
    if (AtEnd() || Peek() != c) {
      return false;
    }
    ++pos_;
    return true;
  }
  std::string_view Token() {
    const size_t start = pos_;
    while (!AtEnd() && IsTchar(Peek())) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  //= https://www.rfc-editor.org/rfc/rfc9110#section-5.6.4
  //# quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
  //# qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
  //# quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
  std::optional<std::string> QuotedString() {
    if (!Take('"')) {
      return std::nullopt;
    }
    std::string out;
    while (!AtEnd()) {
      const char c = text_[pos_++];
      if (c == '"') {
        return out;
      }
      if (c == '\\') {
        if (AtEnd() || !IsQuotable(Peek())) {
          return std::nullopt;
        }
        out.push_back(text_[pos_++]);
        continue;
      }
      if (!IsQuotable(c)) {
        return std::nullopt;
      }
      out.push_back(c);
    }
    return std::nullopt;  // no closing quote
  }

 private:
  // IsQuotable: HTAB, SP, VCHAR and obs-text; not the other controls or DEL.
  static bool IsQuotable(char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7f);
  }
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool IsToken(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (!IsTchar(c)) {
      return false;
    }
  }
  return true;
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && IsOws(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && IsOws(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

bool MediaType::Is(std::string_view type_and_subtype) const {
  return ToLower(type_and_subtype) == type + "/" + subtype;
}

std::optional<std::string> MediaType::Parameter(std::string_view name) const {
  const std::string wanted = ToLower(name);
  for (const auto& [n, v] : parameters) {
    if (n == wanted) {
      return v;
    }
  }
  return std::nullopt;
}

//= https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1
//# media-type = type "/" subtype parameters
//# type       = token
//# subtype    = token
//= https://www.rfc-editor.org/rfc/rfc9110#section-5.6.6
//# parameters      = *( OWS ";" OWS [ parameter ] )
//# parameter       = parameter-name "=" parameter-value
//# parameter-name  = token
//# parameter-value = ( token / quoted-string )
std::optional<MediaType> ParseMediaType(std::string_view value) {
  Cursor in(TrimOws(value));
  MediaType out;
  out.type = ToLower(in.Token());
  if (out.type.empty() || !in.Take('/')) {
    return std::nullopt;
  }
  out.subtype = ToLower(in.Token());
  if (out.subtype.empty()) {
    return std::nullopt;
  }
  for (;;) {
    in.SkipOws();
    if (in.AtEnd()) {
      return out;
    }
    if (!in.Take(';')) {
      return std::nullopt;
    }
    in.SkipOws();
    if (in.AtEnd() || in.Peek() == ';') {
      continue;  // the parameter is optional: "text/plain;" and ";;" are allowed
    }
    std::string name = ToLower(in.Token());
    if (name.empty() || !in.Take('=')) {
      return std::nullopt;
    }
    std::optional<std::string> v;
    if (!in.AtEnd() && in.Peek() == '"') {
      v = in.QuotedString();
    } else if (const std::string_view token = in.Token(); !token.empty()) {
      v = std::string(token);
    }
    if (!v) {
      return std::nullopt;
    }
    out.parameters.emplace_back(std::move(name), std::move(*v));
  }
}

bool IsMediaType(std::string_view content_type, std::string_view type_and_subtype) {
  const std::optional<MediaType> parsed = ParseMediaType(content_type);
  return parsed && parsed->Is(type_and_subtype);
}

//= https://www.rfc-editor.org/rfc/rfc9110#section-5.6.1.2
//# a recipient MUST parse and ignore a reasonable number of empty list elements
std::vector<std::string_view> SplitList(std::string_view value) {
  std::vector<std::string_view> out;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size()) {
      const char c = value[i];
      if (quoted && c == '\\' && i + 1 < value.size()) {
        ++i;  // a quoted-pair: the next character is literal
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      }
      if (quoted || c != ',') {
        continue;
      }
    }
    const std::string_view element = TrimOws(value.substr(start, i - start));
    if (!element.empty()) {
      out.push_back(element);
    }
    start = i + 1;
  }
  return out;
}

//= https://www.rfc-editor.org/rfc/rfc9110#section-11.4
//# credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//= https://www.rfc-editor.org/rfc/rfc9110#section-11.1
//# It uses a case-insensitive token to identify the authentication scheme
std::optional<Credentials> ParseCredentials(std::string_view value) {
  value = TrimOws(value);
  const size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  if (!IsToken(scheme)) {
    return std::nullopt;
  }
  Credentials out{ToLower(scheme), ""};
  if (space != std::string_view::npos) {
    std::string_view rest = value.substr(space);
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    out.token68 = rest;
  }
  return out;
}

}  // namespace anchor::http
