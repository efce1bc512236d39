// SPDX-License-Identifier: Apache-2.0
// File: device_enrollment.h: the device side of EST: enroll once, renew, write the files.
// Shared by `anchor enroll/renew` and anchor-agent; links no Boost and no SQLite.
#pragma once

#include <string>
#include <vector>

#include "client/server_list.h"
#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/general_name.h"

namespace anchor::agent {

// ServerTrust says how to reach and verify the CA server: one or several replicas, tried in turn
// (client::ServerList; a copy shares the list's current replica), all verified against the one
// CA trust given here, each with its own host name.
struct ServerTrust {
  client::ServerList servers{""};  // https://host:port of each replica
  std::string ca_cert;             // PEM file of the CA the servers chain to
  std::string fingerprint;         // or: SHA-256 of the root, to fetch and pin cacerts once
  bool allow_tls12 = false;
};

// ServerCaPem returns the PEM to verify the server with: the --ca-cert file, else cacerts
// fetched and checked against the fingerprint.
Result<std::string> ServerCaPem(const ServerTrust& trust);

// DeviceFiles are where a device keeps its identity.
struct DeviceFiles {
  std::string key;     // private key, 0600
  std::string cert;    // certificate + intermediates (what it presents)
  std::string ca_out;  // the CA root(s), to verify peers with; empty: not written
};

// CheckDistinct refuses (kInvalidArgument, naming the flags) files of which two are one file,
// after symbolic links: checked before anything is asked of the CA.
Status CheckDistinct(const DeviceFiles& files);

struct EnrollRequest {
  ServerTrust trust;
  DeviceFiles files;
  std::string common_name;
  std::vector<crypto::GeneralName> sans;
  SecretBytes token;         // one-time token, or empty with a factory certificate
  std::string factory_cert;  // bootstrap: a factory certificate and key presented over mTLS
  std::string factory_key;
  std::string key_type = "ec-p256";  // of a key made here when `files.key` does not exist
  // in_tpm makes that key inside the TPM (crypto::SetTpm2Tcti names it): `files.key` then holds
  // the TPM's sealed blob (TSS2 PRIVATE KEY), and the CSR is signed in the TPM.
  bool in_tpm = false;
  // attest (with in_tpm) proves to the CA that the new key is in the TPM: a challenge round trip
  // first, then the TPM's certification of the key in the CSR (docs/ARCHITECTURE.md "TPM
  // attestation"). An existing `files.key` cannot be attested: it is refused.
  bool attest = false;
};

struct EnrollResult {
  crypto::Certificate cert;
  bool generated_key = false;
};

// Enroll gets a certificate over EST simpleenroll. The key is used if `files.key` exists, else
// made here; nothing is written until the certificate is in hand, then the key (0600) and the
// chain, atomically.
Result<EnrollResult> Enroll(const EnrollRequest& request);

struct RenewRequest {
  ServerTrust trust;
  DeviceFiles files;
  bool rekey = false;
  std::string key_type = "ec-p256";
  // in_tpm makes the new key of a rekey inside the TPM; so does a current key that is in one.
  bool in_tpm = false;
  // attest renews with a new key made in the TPM and attested as Enroll's `attest` does (it
  // implies rekey and in_tpm).
  bool attest = false;
};

// Renew renews `files.cert` over EST simplereenroll, presenting it (with `files.key`, a TPM's
// key signing in the TPM) as the TLS client certificate, with the same subject and SANs. Nothing is
// written unless the new certificate is in hand: a failed renewal leaves the working pair as it
// was.
Result<crypto::Certificate> Renew(const RenewRequest& request);

// RecoverInterruptedInstall finishes or undoes an installation that a crash cut off between
// renaming the new key and the new chain into place (their "<path>.new" copies are left): the
// chain goes in if the key on disk is its key, else the staged files are removed. Renew calls
// it first; anchor-agent calls it at start.
Status RecoverInterruptedInstall(const DeviceFiles& files);

// ReadToken takes the token from `file` (first line), else `flag`, else $ANCHOR_TOKEN; a token
// on the command line is visible to other users through ps, so the file or the variable is
// better. Empty when none is given.
Result<SecretBytes> ReadToken(const std::string& flag, const std::string& file);

}  // namespace anchor::agent
