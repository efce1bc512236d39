// SPDX-License-Identifier: Apache-2.0
// File: internal/asn1_values.h: OpenSSL's ASN1_TIME and X509_NAME as anchor's values. Never
// included outside crypto/.
#pragma once

#include <openssl/x509.h>

#include <string>

#include "core/clock.h"

namespace anchor::crypto::internal {

// AsnTimeToTimePoint converts an ASN1_TIME (UTCTime or GeneralizedTime) to a time point; null
// or unreadable is the epoch.
Clock::time_point AsnTimeToTimePoint(const ASN1_TIME* t);

// NameToString renders an X509_NAME as RFC 2253; NameCommonName returns its last CN, UTF-8.
std::string NameToString(const X509_NAME* name);
std::string NameCommonName(const X509_NAME* name);

}  // namespace anchor::crypto::internal
