// SPDX-License-Identifier: Apache-2.0
// File: client_identity.h: who a client certificate names, and whether the anchor CA issued it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "crypto/certificate.h"
#include "plugins/mosquitto/topic_acl.h"

namespace anchor::mqtt {

// IdentifyClient reads the CN, serial and roles of `cert`. A certificate without a CN is
// kInvalidArgument: ACLs and logs need a name.
Result<ClientIdentity> IdentifyClient(const crypto::Certificate& cert, const AclPolicy& policy);

// TrustedIssuers are the anchor CA certificates (the intermediates of the CA's cacerts) that
// may issue the clients' certificates. Mosquitto's `cafile` may trust other CAs too (a trust
// bundle across CAs); their certificates have no place in anchor's ACLs and revocation feed, so
// the plugin refuses them. Thread-safe: the feed follower sets, the broker thread checks.
class TrustedIssuers final {
 public:
  void Set(std::vector<crypto::Certificate> issuers);
  bool Known() const;
  std::vector<crypto::Certificate> Get() const;

  // Issued tells whether `leaf` is signed by one of the issuers. A yes is remembered by the
  // leaf's SHA-256, so a client that reconnects costs a hash rather than a signature check. A no
  // asks for the issuers to be fetched again (`TakeRefreshWanted`): the CA may have rotated its
  // intermediate since they were.
  bool Issued(const crypto::Certificate& leaf);
  // TakeRefreshWanted tells, once, whether a leaf of an unknown issuer was seen since the last
  // call.
  bool TakeRefreshWanted() { return refresh_wanted_.exchange(false); }

 private:
  // kMaxRemembered bounds the memory of the remembered leaves; past it they are forgotten and
  // checked again.
  static constexpr size_t kMaxRemembered = 200000;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<crypto::Certificate>> issuers_;
  std::unordered_set<std::string> verified_;
  std::atomic<bool> refresh_wanted_{false};
};

}  // namespace anchor::mqtt
