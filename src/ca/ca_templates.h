// SPDX-License-Identifier: Apache-2.0
// File: ca_templates.h: the root and intermediate certificate templates of `anchor init`.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "crypto/cert_builder.h"

namespace anchor::ca {

// RootTemplate: CA:TRUE critical; keyCertSign + cRLSign critical; SKID; no AKID.
crypto::CertTemplate RootTemplate(const std::string& name, std::vector<uint8_t> serial,
                                  Clock::time_point now, int days);

// IntermediateTemplate: as the root plus pathLenConstraint 0, AKID, and name constraints when
// `permitted_dns` is non-empty. notAfter is clamped to `issuer_not_after`.
crypto::CertTemplate IntermediateTemplate(const std::string& name, std::vector<uint8_t> serial,
                                          Clock::time_point now, int days,
                                          Clock::time_point issuer_not_after,
                                          std::vector<std::string> permitted_dns);

// OcspSignerTemplate: a delegated OCSP responder (RFC 6960 4.2.2.2): CA:FALSE, digitalSignature,
// id-kp-OCSPSigning only, id-pkix-ocsp-nocheck (relying parties do not ask about the
// responder's own status: it is short-lived instead), AKID.
crypto::CertTemplate OcspSignerTemplate(const std::string& name, std::vector<uint8_t> serial,
                                        Clock::time_point now, int days,
                                        Clock::time_point issuer_not_after);

}  // namespace anchor::ca
