// SPDX-License-Identifier: Apache-2.0
// File: name_constraints.cc: subtree matching by name form.
#include "names/name_constraints.h"

#include "core/text.h"
#include "names/uri.h"

namespace anchor::names {
namespace {

// HostWithin is the host rule shared by URIs and the domain of a mailbox: a base with a
// leading "." holds the hosts below it, any other base that host alone.
bool HostWithin(std::string_view host, std::string_view base) {
  if (base.starts_with('.')) {
    return host.size() > base.size() && EndsWithIgnoreCase(host, base);
  }
  return ToLower(host) == ToLower(base);
}

}  // namespace

bool DnsNameWithin(std::string_view name, std::string_view base) {
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
  //# For example, "www.example.com" would be satisfied by "host.example.com" but would not be
  //# satisfied by "host1.example.com".
  //# ... any DNS name that can be constructed by simply adding zero or more labels to the
  //# left-hand side of the name satisfies the name constraint.
  if (base.empty()) {
    return true;
  }
  if (base.starts_with('.')) {
    return name.size() > base.size() && EndsWithIgnoreCase(name, base);
  }
  if (name.size() == base.size()) {
    return ToLower(name) == ToLower(base);
  }
  return name.size() > base.size() && EndsWithIgnoreCase(name, base) &&
         name[name.size() - base.size() - 1] == '.';
}

bool MailboxWithin(std::string_view mailbox, std::string_view base) {
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
  //# A constraint MAY specify a particular mailbox, all addresses at a particular host, or all
  //# mailboxes in a domain.
  const size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos) {
    return false;
  }
  const size_t base_at = base.rfind('@');
  if (base_at != std::string_view::npos) {
    return mailbox.substr(0, at) == base.substr(0, base_at) &&
           ToLower(mailbox.substr(at + 1)) == ToLower(base.substr(base_at + 1));
  }
  return HostWithin(mailbox.substr(at + 1), base);
}

bool UriWithin(std::string_view uri, std::string_view base) {
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
  //# The constraint MUST be specified as a fully qualified domain name and MAY specify a host
  //# or a domain.
  const auto host = UriHost(uri);
  return host && !host->empty() && HostWithin(*host, base);
}

bool IpWithin(std::span<const uint8_t> address, std::span<const uint8_t> base) {
  //= https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
  //# For IPv4 addresses, the iPAddress field of GeneralName MUST contain eight (8) octets,
  //# encoded in the style of RFC 4632 (CIDR) to represent an address range.
  if (base.size() != 2 * address.size()) {
    return false;
  }
  const size_t n = address.size();
  for (size_t i = 0; i < n; ++i) {
    const uint8_t mask = base[n + i];
    if ((address[i] & mask) != (base[i] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace anchor::names
