// SPDX-License-Identifier: Apache-2.0
// File: printers.h: human and JSON renderings of certificates, CSRs, CRLs, keys and records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "store/sqlite/backup_archive.h"
#include "store/store.h"

namespace anchor::cli {

// ColonHex is lower-case hex as octets separated by colons ("ab:cd"); text that is not hex is
// returned as it is.
std::string ColonHex(const std::string& hex);
std::string FormatCertificate(const crypto::Certificate& cert, Clock::time_point now);
nlohmann::json CertificateJson(const crypto::Certificate& cert);
std::string FormatCsr(const crypto::Csr& csr);
nlohmann::json CsrJson(const crypto::Csr& csr);
std::string FormatCrl(const crypto::Crl& crl);
nlohmann::json CrlJson(const crypto::Crl& crl);
std::string FormatPublicKey(const crypto::PublicKey& key);
nlohmann::json PublicKeyJson(const crypto::PublicKey& key);
// BackupManifestJson is what `anchor backup --json` and `anchor restore --json` say of a backup.
nlohmann::json BackupManifestJson(const store::BackupManifest& manifest);

}  // namespace anchor::cli
