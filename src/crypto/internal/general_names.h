// SPDX-License-Identifier: Apache-2.0
// File: internal/general_names.h: `GeneralName` values to OpenSSL's GENERAL_NAMES and back.
// Never included outside crypto/.
#pragma once

#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/general_name.h"
#include "crypto/ossl_ptr.h"

namespace anchor::crypto::internal {

// ToOpenssl converts `names` to an owned GENERAL_NAMES stack (for SAN, CDP and AIA).
Result<ossl::Ptr<GENERAL_NAMES>> ToOpenssl(const std::vector<GeneralName>& names);

// FromOpenssl converts the kinds anchor knows; others are returned as "othername:<type>" DNS-kind
// placeholders in `unknown` so callers can refuse or report them.
std::vector<GeneralName> FromOpenssl(const GENERAL_NAMES* names, std::vector<std::string>* unknown);

}  // namespace anchor::crypto::internal
