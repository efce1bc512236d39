// SPDX-License-Identifier: Apache-2.0
// File: toml_fields.h: reading typed fields of a toml++ table with errors that name the file and
// the key (for anchor.toml and the broker plugin's rules file).
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace anchor::toml_fields {

// ParseToml parses `text`; a syntax error is kInvalidArgument as "origin:LINE: what".
Result<toml::table> ParseToml(std::string_view text, const std::string& origin);

// BadKey is kInvalidArgument "origin: key: why".
Error BadKey(const std::string& origin, const std::string& key, const std::string& why);

// StringList reads a list of strings; an absent key is an empty list.
Result<std::vector<std::string>> StringList(const toml::node_view<const toml::node>& node,
                                            const std::string& origin, const std::string& key);

// Scalar reads a value of type T, or `fallback` when the key is absent.
template <typename T>
Result<T> Scalar(const toml::node_view<const toml::node>& node, T fallback,
                 const std::string& origin, const std::string& key) {
  if (!node) {
    return fallback;
  }
  // toml++'s value<T> converts between types, a boolean to a number among them: `true` would
  // read as 1 second or 1 day. A number must be written as one.
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    if (node.is_boolean()) {
      return BadKey(origin, key, "has the wrong type: a number, not true or false");
    }
  }
  const auto v = node.value<T>();
  if (!v) {
    return BadKey(origin, key, "has the wrong type");
  }
  return *v;
}

// BoundedInt reads integer `key` of `table`, or `fallback` when it is absent, and checks that it
// lies in [lo, hi]; errors name it as `where` + key ("server.threads: must be between 0 and 256").
Result<int> BoundedInt(const toml::table& table, const std::string& key, int fallback, int lo,
                       int hi, const std::string& origin, const std::string& where);

// CheckKnownKeys refuses a key of `table` not in `known`, naming it as `where` + key, so a typo
// is an error rather than a setting silently ignored.
Status CheckKnownKeys(const toml::table& table, std::span<const std::string_view> known,
                      const std::string& origin, const std::string& where);
Status CheckKnownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                      const std::string& origin, const std::string& where);

}  // namespace anchor::toml_fields
