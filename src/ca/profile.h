// SPDX-License-Identifier: Apache-2.0
// File: profile.h: the certificate profiles a CSR can be signed under.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/cert_builder.h"

namespace anchor::ca {

// Profile is a leaf profile. Root and intermediate certificates are made only by `anchor init`
// (ca_templates.h), never from a CSR.
// kDevice and kService are client certificates whose URI SAN names the role (e.g.
// urn:anchor:device:<CN>), which the broker plugin's ACLs select on.
// kAdmin is a client certificate that the admin API accepts; it is never issued through a token
// or EST enrollment.
enum class Profile { kServer, kClient, kDevice, kService, kPeer, kAdmin };

std::string_view ProfileName(Profile p);
// ParseProfile reads "server", "client", "device", "service", "peer" or "admin".
Result<Profile> ParseProfile(std::string_view name);
std::vector<Profile> AllProfiles();

// ProfileExtKeyUsage is serverAuth for server, clientAuth for client, device, service and admin,
// both for peer.
std::vector<crypto::ExtKeyUsage> ProfileExtKeyUsage(Profile p);
// ProfileRequiresSan is true where a SAN is mandatory (server, peer, device, service).
bool ProfileRequiresSan(Profile p);

}  // namespace anchor::ca
