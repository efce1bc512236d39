// SPDX-License-Identifier: Apache-2.0
// File: own_certificates.h: the CA's own certificates that expire while it serves: the TLS
// server certificate of `anchor serve` and the delegated OCSP signer. When each is due, and
// issuing the next one through the Authority, its files replaced together.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "ca/authority.h"
#include "ca/name_request.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/file_lock.h"
#include "crypto/certificate.h"
#include "crypto/general_name.h"
#include "home/ca_home.h"

namespace anchor::home {

// kRenewAtShare is the share of its lifetime after which a certificate of the CA's own is
// renewed: two thirds, as the agent renews devices' (STYLE.md 5.4), so that a third of the
// lifetime is left to retry in. No jitter: one server renews one certificate.
inline constexpr double kRenewAtShare = 2.0 / 3.0;

// RenewalDue is when a certificate valid from `not_before` to `not_after` is due for renewal:
// kRenewAtShare of its lifetime after it was issued (rounded down to the second). The issuance
// is `not_before` + ca::kClockSkewBackdate (the policy backdates notBefore by that much) when
// the certificate outlives it, else `not_before`: counting the backdate would renew a 1-minute
// certificate 20 s after issue instead of 40 s. A certificate whose notAfter is not after its
// notBefore is due at `not_before`.
Clock::time_point RenewalDue(Clock::time_point not_before, Clock::time_point not_after);

// RetryDelay is how long to wait after the `failures`-th failed renewal in a row (1, 2, ...):
// 10 s doubling up to an hour, but never beyond a tenth of the time `left` until the
// certificate expires (at least a second), so that a short-lived certificate is retried often
// enough to be renewed before it expires.
std::chrono::seconds RetryDelay(int failures, std::chrono::system_clock::duration left);

// kMaxServerNames bounds the names of a server certificate of the CA's own: every handshake
// sends them, and a few host names and addresses are what a CA server answers to.
inline constexpr size_t kMaxServerNames = 100;

// ServerNamesOf are the names of `cert` (its CN and SANs), the names a renewal keeps.
ca::NameRequest ServerNamesOf(const crypto::Certificate& cert);

// WithServerNames is `current` with `sans` added (each once), or, with `replace`, `sans` alone.
// The CN is kept while it is one of the names; otherwise it becomes the first DNS name (or the
// first name). kInvalidArgument when `replace` leaves no name, or when the result has more than
// kMaxServerNames names.
Result<ca::NameRequest> WithServerNames(const ca::NameRequest& current,
                                        const std::vector<crypto::GeneralName>& sans, bool replace);

// ServerCertificateDays is the validity a server certificate of the CA's own asks for: none
// (the profile's default_minutes) when [profiles.server] sets default_minutes, else the
// profile's max_days, as `anchor init` issues it.
std::optional<int> ServerCertificateDays(const ca::CaConfig& config);

// LockOwnCertificates takes the CA home's lock on its own certificates' files (a flock on
// "<home>/own-certificates.lock"), waiting for another holder. Every writer of server.key and
// server.crt, or of ocsp.key and ocsp.crt (`anchor ca server-cert`, `anchor ocsp signer`, the
// renewal in `anchor serve`), and every recovery of an interrupted replacement holds it, so
// that two writers never mix their files into a pair that does not match, and serve's reload
// holds it while it reads a pair. The functions below that write take it as proof.
Result<FileLock> LockOwnCertificates(const CaPaths& paths);
// HoldServing is held (shared: several may run on one home) by `anchor serve` for as long as it
// runs, on "<home>/serving.lock"; a command that must not run beside a serve (`anchor store
// migrate`: serve would go on writing the store it moved) takes it exclusively without waiting.
Result<FileLock> HoldServing(const CaPaths& paths);

// CheckServerCertificate verifies the server certificate chain file `cert_path` as a client of
// `anchor serve` would, with anchor's own verifier (crypto::ValidatePath): its leaf chains to
// `root` through one of `intermediates` (the generations still serving), is good for serverAuth
// and is valid at `now`; every further certificate of the file is one of `intermediates`.
// kFailedPrecondition with one line naming the file, what is wrong and the fix
// (`anchor ca server-cert`). `expired` (when given) is set when expiry is the only fault, so
// that serve can start and renew it at once.
Status CheckServerCertificate(const std::string& cert_path, const crypto::Certificate& root,
                              const std::vector<crypto::Certificate>& intermediates,
                              Clock::time_point now, bool* expired = nullptr);

// KeyFileWarnings are one line per private key file of the CA home (every HomeFileKind::kKey
// of ListHomeFiles, intermediates/N/intermediate.key included) that its group or others
// may read ("PATH is readable by its group or others (mode 0644); run chmod 600 PATH"). Serve
// logs them at start and on reload; they are warnings, not refusals (OPERATIONS.md says why).
std::vector<std::string> KeyFileWarnings(const CaPaths& paths);

// IssueServerCertificate makes a new key (the CA's key type) and a server certificate for
// `names` through `authority` (policy, CheckBeforeIssue, recorded and audited like every
// issuance), checks that the new chain and key load and match, and then replaces the CA home's
// server.key (0600) and server.crt (leaf + intermediate) together (core::WriteFilesTogether).
// `days`: as ServerCertificateDays. Nothing is written when any step fails.
Result<crypto::Certificate> IssueServerCertificate(const FileLock& held, ca::Authority& authority,
                                                   const CaPaths& paths,
                                                   const ca::NameRequest& names,
                                                   std::optional<int> days);

// RenewOcspSigner issues the next delegated OCSP signer for the same number of days as
// `current` (1 to 30) with a new key, and replaces ocsp.key and ocsp.crt together.
Result<OcspSigner> RenewOcspSigner(const FileLock& held, ca::Authority& authority,
                                   const CaPaths& paths, const crypto::Certificate& current);

// FinishInterruptedReplace completes or undoes a replacement of a key and its certificate
// that a crash interrupted (WriteFilesTogether stages "<path>.new" files, then renames the key
// first): both staged files left mean nothing was renamed, and they are removed; only the
// certificate's left means the new key is in place, and its certificate is renamed after it.
// `anchor serve` and `anchor ca server-cert` call it for server.* and ocsp.* before reading them.
// `held`: LockOwnCertificates, so that another writer's staged files are never taken for a
// crash's.
Status FinishInterruptedReplace(const FileLock& held, const std::string& key_path,
                                const std::string& cert_path);

}  // namespace anchor::home
