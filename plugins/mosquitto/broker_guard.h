// SPDX-License-Identifier: Apache-2.0
// File: broker_guard.h: what the plugin decides, without Mosquitto's types: admit a client by
// its certificate and client id, check its topics (and those of the sessions it leaves behind),
// and name the connected clients a revocation must drop.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "plugins/mosquitto/broker_config.h"
#include "plugins/mosquitto/client_identity.h"
#include "plugins/mosquitto/feed_follower.h"
#include "plugins/mosquitto/guard_state.h"
#include "plugins/mosquitto/listener_certificate.h"
#include "plugins/mosquitto/repeat_limiter.h"
#include "plugins/mosquitto/retained_ledger.h"
#include "plugins/mosquitto/revocation_list.h"
#include "plugins/mosquitto/session_registry.h"
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
  // client_id_rule says which client ids a certificate may use (client_id).
  ClientIdRule client_id_rule = ClientIdRule::kOwned;
  // state_file keeps the sessions' owners and the retained messages' publishers across broker
  // restarts; empty: they are forgotten when the broker stops.
  std::string state_file;
  // listener_roots are the roots the listeners' certificates must chain to
  // (listener_ca_file); empty: those of ca_file, the anchor CA's.
  std::vector<crypto::Certificate> listener_roots;
  // save_every is how often, at most, the state file is written while the state changes.
  std::chrono::milliseconds save_every{2000};
};

// ParseGuardOptions reads the plugin's options, given as key/value pairs without the
// "plugin_opt_" prefix: ca_url (repeatable, or a comma-separated list: the replicas of one CA),
// ca_file, cert, key (required), acl_file, poll_ms,
// stale_after_s, on_ca_down (open|closed), cache_file, client_id (owned|cn|cn-prefix),
// state_file, listener_ca_file. An unknown key or a bad value is kInvalidArgument naming it; so is
// a file the broker's user may not read (the message names that user) or that does not exist.
// kPluginOptions are the option names ParseGuardOptions accepts (docs/CONFIG.md documents each;
// a unit test holds the two to each other).
inline constexpr std::string_view kPluginOptions[] = {
    "ca_url",          "ca_file",     "cert",          "key",        "acl_file",  "cache_file",
    "poll_ms",         "feed_wait_s", "stale_after_s", "on_ca_down", "client_id", "state_file",
    "listener_ca_file"};

Result<GuardOptions> ParseGuardOptions(
    const std::vector<std::pair<std::string, std::string>>& options);

// KickTarget is a connected client to drop, and why.
struct KickTarget {
  std::string client_id;
  std::string why;
};

// AclRequest is one check the broker makes (MOSQ_EVT_ACL_CHECK): on a publish, a subscribe, a
// delivery (to a connected client or to an offline session) or a will.
struct AclRequest {
  const void* client = nullptr;  // the broker's handle: a connection, or an offline session
  std::string_view client_id;
  Access access = Access::kReceive;
  std::string_view topic;
  std::span<const uint8_t> payload;
  bool retain = false;
  Clock::time_point now{};  // when the broker asks: repeated denials are logged once a minute
};

// AclVerdict answers an AclRequest. A denial says why in `why`, for the log; a denial for an
// offline session that already had one logged (since it last connected), or the same denial of
// a connected client within a minute of the last one logged (RepeatLimiter), has an empty `why`,
// so that a busy topic or a misbehaving client does not flood the log.
struct AclVerdict {
  bool allowed = false;
  std::string why;
};

// BrokerGuard holds the plugin's state. Everything but the feed follower runs on the broker's
// thread; it never calls back into the broker, so it is safe inside any check the broker makes.
class BrokerGuard final {
 public:
  // Create loads the rules, the cache file and the state file; it does not reach the CA yet.
  static Result<std::unique_ptr<BrokerGuard>> Create(GuardOptions options);
  // CheckOwnCertificates checks the broker's own certificates as their peers will (at start,
  // and again on SIGHUP, when Mosquitto reloads its listeners' certificates): each of
  // `listeners` (the certfiles of Mosquitto's configuration; when empty, plugin_opt_cert stands
  // in) must serve TLS to MQTT clients, and plugin_opt_cert must be a client certificate for the
  // CA (CheckBrokerCertificate). kFailedPrecondition names the file, where it is set, what is
  // wrong and the fix; each listener certificate that passes is logged with its CN and expiry.
  Status CheckOwnCertificates(const std::vector<ListenerCertificate>& listeners,
                              Clock::time_point now);
  // FollowOnce follows the feed once on the caller's thread (at broker start, so that the first
  // clients are checked against a current list); Start follows it from then on, on a thread.
  void FollowOnce();
  void Start();

  // Admit decides a client at connect from its certificate, which the broker's TLS verified,
  // and the client id it connects with. kPermissionDenied says why it is refused: not issued by
  // the anchor CA, revoked, no CN, a client id the identity may not use (ClientIdRule, or
  // another identity's), or (fail-closed) the CA's feed is stale.
  Result<ClientIdentity> Admit(const crypto::Certificate& cert, std::string_view client_id,
                               Clock::time_point now);

  // Connected records an admitted client under the broker's handle for it; it becomes the
  // owner of `client_id`'s session. `outlives_connection` is false for an MQTT 3.1.1 clean
  // session. Disconnected forgets the handle; the session stays, offline, if it may.
  void Connected(const void* client, std::string client_id, ClientIdentity who,
                 bool outlives_connection);
  void Disconnected(const void* client);
  // Find returns the identity of a connected client, or null.
  const Connection* Find(const void* client) const { return sessions_.Find(client); }
  // FindSession returns the session of `client_id`, or null.
  const Session* FindSession(std::string_view client_id) {
    return sessions_.FindSession(client_id);
  }

  // Check decides an ACL check: a connected client by its certificate's identity, an offline
  // session by the identity that owns it; nothing for a revoked identity; a retained message
  // not to be delivered once its publisher is revoked; a subscription (shared or not) within
  // the grants. An allowed retained publish is recorded as its publisher's.
  AclVerdict Check(const AclRequest& request);

  // Refused notes a connected client that a check refused without this plugin's authentication
  // having run (use_identity_as_username): the broker is not to be called from inside its
  // check, so TakeKicks returns it instead.
  void Refused(const void* client, std::string client_id, std::string why);

  // TakeKicks returns the connected clients to drop: those whose certificates were revoked since
  // the last call, and those `Refused`; cheap when there are none. Called on the broker's tick,
  // outside any check.
  std::vector<KickTarget> TakeKicks();

  // Tick forgets the sessions that ended with their connection and, when the state changed and
  // `save_every` has passed, hands the state file to its writer. SaveState writes it now.
  void Tick(Clock::time_point now);
  void SaveState();

  // ReloadAcl reads the rules file again (on SIGHUP) and works out every known identity's
  // roles and grants again; on error the old rules stay.
  Status ReloadAcl();

  LogQueue& log() { return log_; }
  // repeats holds back log lines that repeat one already logged (refusals at connect, denials);
  // the broker's thread only.
  RepeatLimiter& repeats() { return repeats_; }
  // revocations and issuers are what the feed follower keeps current.
  RevocationList& revocations() { return revocations_; }
  TrustedIssuers& issuers() { return issuers_; }
  const RetainedLedger& retained() const { return retained_; }
  // FeedFresh is true while the feed answered within `stale_after` of `now`.
  bool FeedFresh(Clock::time_point now) const;

 private:
  explicit BrokerGuard(GuardOptions options, AclPolicy policy);
  void LoadState();
  GuardState CurrentState() const;
  AclVerdict Decide(const AclRequest& request);
  AclVerdict DenyUnknown(std::string_view client_id);
  // RevokedPublisher returns the serial of the revoked certificate that published the retained
  // message `r` would deliver, or null.
  const std::string* RevokedPublisher(const AclRequest& r) const;

  GuardOptions options_;
  AclPolicy policy_;
  LogQueue log_;
  RevocationList revocations_;
  TrustedIssuers issuers_;
  FeedFollower follower_;
  SessionRegistry sessions_;
  RetainedLedger retained_;
  std::unique_ptr<StateWriter> state_writer_;
  Clock::time_point last_save_{};
  std::unordered_map<const void*, KickTarget> refused_;
  std::unordered_set<std::string> unknown_logged_;
  bool warned_unknown_issuers_ = false;
  RepeatLimiter repeats_;
};

}  // namespace anchor::mqtt
