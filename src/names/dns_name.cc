// SPDX-License-Identifier: Apache-2.0
// File: dns_name.cc: LDH labels, wildcards, and IDNA through libidn2.
#include "names/dns_name.h"

#include <idn2.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "core/text.h"
#include "names/ip_address.h"
#include "names/utf8.h"

namespace anchor::names {
namespace {

constexpr std::string_view kWildcardLabel = "*.";
constexpr std::string_view kAcePrefix = "xn--";

// IdnaFlags: NFC the input, map it by UTS #46 without the transitional mappings (so "ß" stays
// itself, as browsers and IDNA2008 have it).
constexpr int kIdnaFlags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL;

struct IdnFree {
  void operator()(char* p) const { ::idn2_free(p); }
};
using IdnString = std::unique_ptr<char, IdnFree>;

Error Bad(std::string_view name, const std::string& why) {
  return Error(Code::kInvalidArgument, "'" + Printable(name) + "' is not a valid DNS name: " + why);
}

// ToALabels converts a name holding Unicode to A-labels with libidn2.
Result<std::string> ToALabels(std::string_view name) {
  if (!DecodeUtf8(name)) {
    return Bad(name, "it is not valid UTF-8");
  }
  char* out = nullptr;
  const int rc = ::idn2_to_ascii_8z(std::string(name).c_str(), &out, kIdnaFlags);
  IdnString owned(out);
  if (rc != IDN2_OK) {
    return Bad(name, std::string("it cannot be written as an internationalized domain name "
                                 "(IDNA2008: ") +
                         ::idn2_strerror(rc) + ")");
  }
  return std::string(owned.get());
}

// CheckALabel makes sure an "xn--" label decodes and encodes back to itself (RFC 5891 5.4).
Status CheckALabel(std::string_view label, std::string_view name) {
  const std::string text(label);
  char* unicode = nullptr;
  const int rc = ::idn2_to_unicode_8z8z(text.c_str(), &unicode, 0);
  IdnString owned_unicode(unicode);
  if (rc == IDN2_OK) {
    char* back = nullptr;
    const int rc2 = ::idn2_to_ascii_8z(unicode, &back, kIdnaFlags);
    IdnString owned_back(back);
    if (rc2 == IDN2_OK && text == back) {
      return OkStatus();
    }
  }
  return Bad(name, "the label '" + text + "' starts with xn-- but is not a valid A-label");
}

Status CheckLabel(std::string_view label, std::string_view name) {
  if (label.empty()) {
    return Bad(name, "it has an empty label (two dots in a row, or a leading dot)");
  }
  if (label.size() > kMaxLabelLength) {
    return Bad(name, "the label '" + std::string(label.substr(0, 16)) + "...' is longer than " +
                         std::to_string(kMaxLabelLength) + " characters");
  }
  for (const char c : label) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      continue;
    }
    if (c == '*') {
      return Bad(name, "a wildcard may only be the whole left-most label, as in *.example.com");
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Bad(name, "it holds a control character");
    }
    return Bad(name, std::string("the character '") + c +
                         "' is not allowed (letters, digits and '-' only)");
  }
  //= https://www.rfc-editor.org/rfc/rfc1035#section-2.3.1
  //# They must start with a letter, end with a letter or digit, and have as interior
  //# characters only letters, digits, and hyphen.
  // RFC 1123 2.1 relaxed the first character to a letter or digit.
  if (label.front() == '-' || label.back() == '-') {
    return Bad(name, "the label '" + std::string(label) + "' starts or ends with '-'");
  }
  if (label.starts_with(kAcePrefix)) {
    return CheckALabel(label, name);
  }
  return OkStatus();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<std::string> NormalizeDnsName(std::string_view input, Wildcard wildcard) {
  if (input.empty()) {
    return Error(Code::kInvalidArgument, "a DNS name cannot be empty");
  }
  std::string_view rest = input;
  std::string prefix;
  if (rest.starts_with(kWildcardLabel)) {
    if (wildcard == Wildcard::kRefuse) {
      return Error(Code::kInvalidArgument,
                   "'" + std::string(input) + "' is a wildcard name, which is not allowed here");
    }
    prefix = kWildcardLabel;
    rest.remove_prefix(kWildcardLabel.size());
  }
  if (rest.ends_with('.')) {
    return Bad(input, "write it without the trailing dot");
  }
  if (ParseIpAddress(input)) {
    return Bad(input, "it is an IP address; write ip:" + std::string(input));
  }
  std::string name;
  if (IsAscii(rest)) {
    name = ToLower(rest);
  } else {
    ANCHOR_ASSIGN_OR_RETURN(name, ToALabels(rest));
  }
  std::string_view labels = name;
  std::string_view last;
  while (true) {
    const size_t dot = labels.find('.');
    last = labels.substr(0, dot);
    ANCHOR_TRY(CheckLabel(last, input));
    if (dot == std::string_view::npos) {
      break;
    }
    labels.remove_prefix(dot + 1);
  }
  //= https://www.rfc-editor.org/rfc/rfc3696#section-2
  //# There is an additional rule that essentially requires that top-level domain names not be
  //# all-numeric.
  if (AllDigits(last)) {
    return Bad(input, "its last label is all digits, which no top-level domain is");
  }
  //= CA/Browser Forum Baseline Requirements 3.2.2.6 (wildcard domain validation)
  // A wildcard over a single label ("*.com") would cover a whole top-level domain.
  if (!prefix.empty() && name.find('.') == std::string::npos) {
    return Bad(input,
               "a wildcard must stand over two labels or more (*.example.com), not a "
               "top-level domain");
  }
  std::string out = prefix + name;
  if (out.size() > kMaxDnsNameLength) {
    return Bad(input.substr(0, 32),
               "it is longer than " + std::to_string(kMaxDnsNameLength) + " characters");
  }
  return out;
}

bool IsNormalDnsName(std::string_view name, Wildcard wildcard) {
  auto normal = NormalizeDnsName(name, wildcard);
  return normal && *normal == name;
}

}  // namespace anchor::names
