// SPDX-License-Identifier: Apache-2.0
// File: name_request.h: the names a requester asks for, before policy decides.
#pragma once

#include <string>
#include <vector>

#include "crypto/general_name.h"

namespace anchor::ca {

// NameRequest is what a requester asks to be named: the CN and SANs of its CSR, or the ones an
// operator gave on the command line. It is a request; policy decides.
struct NameRequest {
  std::string common_name;
  std::vector<crypto::GeneralName> sans;
};

}  // namespace anchor::ca
