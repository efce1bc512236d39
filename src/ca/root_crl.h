// SPDX-License-Identifier: Apache-2.0
// File: root_crl.h: the CRL the root signs about the intermediates it certified.
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/key.h"
#include "store/store.h"

namespace anchor::ca {

// BuildRootCrl signs, with the root key, a CRL valid for `days` listing no revoked
// intermediate (anchor never revokes its intermediate; a compromised one means a new CA).
// Relying parties that check every level of a chain (nginx `ssl_crl`, `openssl verify
// -crl_check_all`) need it beside the intermediate's CRL. Its number comes from the store's
// CRL sequence, like the intermediate's.
Result<crypto::Crl> BuildRootCrl(const crypto::Certificate& root, const crypto::PrivateKey& key,
                                 store::Store& store, const Clock& clock, int days);

}  // namespace anchor::ca
