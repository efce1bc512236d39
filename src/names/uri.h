// SPDX-License-Identifier: Apache-2.0
// File: uri.h: uniformResourceIdentifier names: absolute URIs by the RFC 3986 grammar.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace anchor::names {

// CheckUri accepts `uri` when it is an RFC 3986 URI with a scheme and a non-empty
// scheme-specific part, in ASCII, every character in the set its component allows and every
// "%" followed by two hex digits (RFC 5280 4.2.1.6). Errors are kInvalidArgument naming the
// first fault and its position.
Status CheckUri(std::string_view uri);

// UriHost returns the host of a URI with an authority ("https://Host:8443/x" -> "host",
// lower case; an IPv6 literal without its brackets), or nullopt when it has none (a URN). It
// expects a URI that CheckUri accepts.
std::optional<std::string> UriHost(std::string_view uri);

}  // namespace anchor::names
