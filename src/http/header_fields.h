// SPDX-License-Identifier: Apache-2.0
// File: header_fields.h: the RFC 9110 grammar of the header field values anchor reads (media
// types, lists, credentials), parsed as leniently as the grammar allows and no further.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anchor::http {

// IsToken is true for a non-empty RFC 9110 `token` (5.6.2).
bool IsToken(std::string_view text);

// TrimOws drops RFC 9110 `OWS` (spaces and tabs) at both ends.
std::string_view TrimOws(std::string_view text);

// MediaType is a parsed RFC 9110 `media-type`: type and subtype lower-cased (they are
// case-insensitive), parameter names lower-cased, parameter values unquoted and kept as sent.
struct MediaType {
  std::string type;
  std::string subtype;
  std::vector<std::pair<std::string, std::string>> parameters;

  // Is compares "type/subtype" without regard to case, whatever the parameters.
  bool Is(std::string_view type_and_subtype) const;
  // Parameter returns the value of parameter `name` (any case), or nullopt.
  std::optional<std::string> Parameter(std::string_view name) const;
};

// ParseMediaType parses a Content-Type field value; nullopt when it is not a media-type.
std::optional<MediaType> ParseMediaType(std::string_view value);

// IsMediaType is true when `content_type` parses and names `type_and_subtype`.
bool IsMediaType(std::string_view content_type, std::string_view type_and_subtype);

// SplitList splits an RFC 9110 list (`#element`, 5.6.1): elements separated by commas with
// optional whitespace; empty elements are dropped, as recipients must accept them. A comma
// inside a quoted string does not split.
std::vector<std::string_view> SplitList(std::string_view value);

// Credentials is a parsed Authorization field value (RFC 9110 11.4).
struct Credentials {
  std::string scheme;        // lower-cased: auth-scheme is case-insensitive
  std::string_view token68;  // what follows the scheme and its spaces, within the value parsed
};

// ParseCredentials parses `auth-scheme [ 1*SP token68 ]`; nullopt when the scheme is not a
// token. The result points into `value`, which must outlive it (so a secret is not copied).
std::optional<Credentials> ParseCredentials(std::string_view value);

}  // namespace anchor::http
