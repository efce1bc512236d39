// SPDX-License-Identifier: Apache-2.0
// File: profile.cc: profile names and the extended key usages they carry.
#include "ca/profile.h"

namespace anchor::ca {

std::string_view ProfileName(Profile p) {
  switch (p) {
    case Profile::kServer:
      return "server";
    case Profile::kClient:
      return "client";
    case Profile::kDevice:
      return "device";
    case Profile::kService:
      return "service";
    case Profile::kPeer:
      return "peer";
    case Profile::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::vector<Profile> AllProfiles() {
  return {Profile::kServer,  Profile::kClient, Profile::kDevice,
          Profile::kService, Profile::kPeer,   Profile::kAdmin};
}

Result<Profile> ParseProfile(std::string_view name) {
  for (const Profile p : AllProfiles()) {
    if (ProfileName(p) == name) {
      return p;
    }
  }
  if (name == "root" || name == "intermediate") {
    return Error(Code::kPermissionDenied,
                 "profile '" + std::string(name) +
                     "' cannot be issued from a CSR; CA certificates are made by `anchor init`");
  }
  return Error(Code::kInvalidArgument, "unknown profile '" + std::string(name) +
                                           "'; use server, client, device, service, peer or admin");
}

std::vector<crypto::ExtKeyUsage> ProfileExtKeyUsage(Profile p) {
  using crypto::ExtKeyUsage;
  switch (p) {
    case Profile::kServer:
      return {ExtKeyUsage::kServerAuth};
    case Profile::kClient:
    case Profile::kDevice:
    case Profile::kService:
    case Profile::kAdmin:
      return {ExtKeyUsage::kClientAuth};
    case Profile::kPeer:
      return {ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth};
  }
  return {};
}

bool ProfileRequiresSan(Profile p) { return p != Profile::kClient && p != Profile::kAdmin; }

}  // namespace anchor::ca
