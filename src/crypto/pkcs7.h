// SPDX-License-Identifier: Apache-2.0
// File: pkcs7.h: "certs-only" PKCS#7 / CMS SignedData, the certificate container of EST.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "crypto/certificate.h"

namespace anchor::crypto {

//= https://www.rfc-editor.org/rfc/rfc7030#section-4.1.3
//# The response is a certs-only CMC Simple PKI Response, as defined in [RFC5272].
// CertsOnlyPkcs7 encodes `certs` (in order) as a degenerate SignedData: no content, no signers.
Result<std::vector<uint8_t>> CertsOnlyPkcs7(const std::vector<Certificate>& certs);

// CertsFromPkcs7 reads the certificates of a DER PKCS#7 SignedData.
Result<std::vector<Certificate>> CertsFromPkcs7(std::span<const uint8_t> der);

}  // namespace anchor::crypto
