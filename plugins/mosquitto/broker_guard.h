// SPDX-License-Identifier: Apache-2.0
// File: broker_guard.h: what the plugin decides, without Mosquitto's types: admit a client by
// its certificate, check its topics, and name the connected clients a revocation must drop.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugins/mosquitto/client_identity.h"
#include "plugins/mosquitto/feed_follower.h"
#include "plugins/mosquitto/revocation_list.h"
#include "plugins/mosquitto/topic_acl.h"

namespace anchor::mqtt {

// GuardOptions are the plugin's settings (plugin_opt_* in mosquitto.conf).
struct GuardOptions {
  FollowerOptions follower;
  std::string acl_file;  // empty: AclPolicy::Default()
  // fail_closed refuses new connections while the feed is stale (on_ca_down closed); open
  // admits them against the last known list.
  bool fail_closed = false;
  // stale_after is how long the feed may go unanswered before the CA counts as down.
  std::chrono::seconds stale_after{30};
};

// ParseGuardOptions reads the plugin's options, given as key/value pairs without the
// "plugin_opt_" prefix: ca_url, ca_file, cert, key (required), acl_file, poll_ms,
// stale_after_s, on_ca_down (open|closed), cache_file. An unknown key or a bad value is
// kInvalidArgument naming it.
Result<GuardOptions> ParseGuardOptions(
    const std::vector<std::pair<std::string, std::string>>& options);

// Connection is an admitted client: its id, who its certificate says it is, and what the rules
// grant it.
struct Connection {
  std::string client_id;
  ClientIdentity who;
  Grants grants;
};

// KickTarget is a connected client to drop, and why.
struct KickTarget {
  std::string client_id;
  ClientIdentity who;
};

// BrokerGuard holds the plugin's state. Admit, the client registry and TakeKicks run on the
// broker's thread; the feed follower runs on its own.
class BrokerGuard final {
 public:
  // Create loads the rules and the cache file; it does not reach the CA yet.
  static Result<std::unique_ptr<BrokerGuard>> Create(GuardOptions options);
  // FollowOnce follows the feed once on the caller's thread (at broker start, so that the first
  // clients are checked against a current list); Start follows it from then on, on a thread.
  void FollowOnce();
  void Start();

  // Admit decides a client at connect from its certificate, which the broker's TLS verified.
  // kPermissionDenied says why it is refused: not issued by the anchor CA, revoked, no CN, or
  // (fail-closed) the CA's feed is stale.
  Result<ClientIdentity> Admit(const crypto::Certificate& cert, Clock::time_point now);

  // Connected records an admitted client under the broker's handle for it, with its grants;
  // Disconnected forgets it. Find returns null for a client this guard never admitted.
  void Connected(const void* client, std::string client_id, ClientIdentity who);
  void Disconnected(const void* client);
  const Connection* Find(const void* client) const;

  // TakeKicks returns the connected clients whose certificates were revoked since the last
  // call; cheap when nothing was.
  std::vector<KickTarget> TakeKicks();

  // ReloadAcl reads the rules file again (on SIGHUP) and works out every connected client's
  // roles and grants again; on error the old rules stay.
  Status ReloadAcl();

  LogQueue& log() { return log_; }
  // revocations and issuers are what the feed follower keeps current.
  RevocationList& revocations() { return revocations_; }
  TrustedIssuers& issuers() { return issuers_; }
  // FeedFresh is true while the feed answered within `stale_after` of `now`.
  bool FeedFresh(Clock::time_point now) const;

 private:
  explicit BrokerGuard(GuardOptions options, AclPolicy policy);

  GuardOptions options_;
  AclPolicy policy_;
  LogQueue log_;
  RevocationList revocations_;
  TrustedIssuers issuers_;
  FeedFollower follower_;
  std::unordered_map<const void*, Connection> clients_;
  std::unordered_multimap<std::string, const void*> clients_by_serial_;
  bool warned_unknown_issuers_ = false;
};

}  // namespace anchor::mqtt
