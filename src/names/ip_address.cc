// SPDX-License-Identifier: Apache-2.0
// File: ip_address.cc: IP address text <-> octets through inet_pton/inet_ntop.
#include "names/ip_address.h"

#include <arpa/inet.h>

namespace anchor::names {

Result<std::vector<uint8_t>> ParseIpAddress(std::string_view text) {
  const std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') {
    return Error(Code::kInvalidArgument, "'" + s + "': write the address without brackets (" +
                                             s.substr(1, s.size() - 2) + ")");
  }
  if (const size_t zone = s.find('%'); zone != std::string::npos) {
    //= https://www.rfc-editor.org/rfc/rfc4007#section-11.2
    //# the zone index ... is meaningful only on the node that uses it
    return Error(Code::kInvalidArgument, "'" + s + "': a zone id (" + s.substr(zone) +
                                             ") means nothing to another host; write " +
                                             s.substr(0, zone));
  }
  if (const size_t slash = s.find('/'); slash != std::string::npos) {
    return Error(Code::kInvalidArgument,
                 "'" + s + "' is a range; a name is one address (" + s.substr(0, slash) + ")");
  }
  // inet_pton takes only the four-part decimal IPv4 form (no "127.1", octal or hex parts,
  // which inet_aton would read differently from other parsers) and the RFC 4291 IPv6 forms.
  std::vector<uint8_t> out(16);
  if (::inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    out.resize(4);
    return out;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    return out;
  }
  // A short or octal/hex form ("127.1", "010.0.0.1") means something else to other parsers:
  // say which four decimal parts inet_aton reads it as, and let the user write that.
  in_addr legacy{};
  if (s.find_first_not_of("0123456789abcdefxABCDEFX.") == std::string::npos &&
      ::inet_aton(s.c_str(), &legacy) == 1) {
    char text[INET_ADDRSTRLEN] = {0};
    ::inet_ntop(AF_INET, &legacy, text, sizeof text);
    return Error(Code::kInvalidArgument,
                 "'" + s + "' is not four decimal parts; if " + text + " is meant, write " + text);
  }
  return Error(Code::kInvalidArgument, "'" + s + "' is not an IPv4 or IPv6 address");
}

std::string FormatIpAddress(std::span<const uint8_t> octets) {
  char buf[INET6_ADDRSTRLEN] = {0};
  const int family = octets.size() == 4 ? AF_INET : octets.size() == 16 ? AF_INET6 : 0;
  if (family == 0 || ::inet_ntop(family, octets.data(), buf, sizeof buf) == nullptr) {
    return "";
  }
  return buf;  // glibc's inet_ntop writes RFC 5952 text: lower case, "::" for 2+ zero groups
}

Result<std::string> NormalizeIpAddress(std::string_view text) {
  ANCHOR_ASSIGN_OR_RETURN(std::vector<uint8_t> octets, ParseIpAddress(text));
  return FormatIpAddress(octets);
}

}  // namespace anchor::names
