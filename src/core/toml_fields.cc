// SPDX-License-Identifier: Apache-2.0
// File: toml_fields.cc: typed TOML fields with errors naming the file and the key.
#include "core/toml_fields.h"

namespace anchor::toml_fields {

Result<toml::table> ParseToml(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Error(Code::kInvalidArgument, origin + ":" + std::to_string(e.source().begin.line) +
                                             ": " + std::string(e.description()));
  }
}

Error BadKey(const std::string& origin, const std::string& key, const std::string& why) {
  return Error(Code::kInvalidArgument, origin + ": " + key + ": " + why);
}

Result<std::vector<std::string>> StringList(const toml::node_view<const toml::node>& node,
                                            const std::string& origin, const std::string& key) {
  std::vector<std::string> out;
  if (!node) {
    return out;
  }
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return BadKey(origin, key, "expected a list of strings");
  }
  for (const toml::node& item : *arr) {
    const auto s = item.value<std::string>();
    if (!s) {
      return BadKey(origin, key, "expected a list of strings");
    }
    out.push_back(*s);
  }
  return out;
}

Result<int> BoundedInt(const toml::table& table, const std::string& key, int fallback, int lo,
                       int hi, const std::string& origin, const std::string& where) {
  ANCHOR_ASSIGN_OR_RETURN(int64_t v, Scalar<int64_t>(toml::node_view<const toml::node>(table)[key],
                                                     fallback, origin, where + key));
  if (v < lo || v > hi) {
    return BadKey(origin, where + key,
                  "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return static_cast<int>(v);
}

Status CheckKnownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                      const std::string& origin, const std::string& where) {
  return CheckKnownKeys(table, std::span<const std::string_view>(known.begin(), known.size()),
                        origin, where);
}

Status CheckKnownKeys(const toml::table& table, std::span<const std::string_view> known,
                      const std::string& origin, const std::string& where) {
  for (const auto& [k, v] : table) {
    bool ok = false;
    for (const auto name : known) {
      ok = ok || k.str() == name;
    }
    if (!ok) {
      return BadKey(origin, where + std::string(k.str()), "unknown key; remove or correct it");
    }
  }
  return OkStatus();
}

}  // namespace anchor::toml_fields
