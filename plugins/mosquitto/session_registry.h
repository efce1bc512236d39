// SPDX-License-Identifier: Apache-2.0
// File: session_registry.h: the MQTT sessions the broker keeps, as the plugin sees them: which
// identity owns each client id (and so its session), which connection holds it now, and which
// client ids an identity may use. A session outlives its connection, so an identity is
// remembered by client id for the checks the broker makes while nobody is connected: deliveries
// queued for an offline session, and wills.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/error.h"
#include "plugins/mosquitto/topic_acl.h"

namespace anchor::mqtt {

// ClientIdRule says which client ids a certificate may connect with. MQTT hands a client id's
// session to whoever connects with that id next and drops the connection that held it; the rule
// keeps that takeover within one identity (its CN: a renewed certificate is the same identity).
//
// An id names the CN X when it is X or starts with "X:". A certificate with CN C may use id I
// when the rule allows I and either C owns I's remembered session and I names C, or both:
//  - (kOwned, kCommonNamePrefix) no other CN the plugin has admitted names I;
//  - no other identity owns I's remembered session, unless I names C and not that owner (a CN
//    the plugin did not know yet reclaims its own id).
// The plugin knows no CN it has not admitted; README.md (client ids) says the same.
enum class ClientIdRule {
  // kOwned: any id another identity does not hold. CNs may hold ':' here (the client profile
  // allows it), so CN "a" and CN "a:b" both name "a:b": such an id stays with whichever owns its
  // session, and is refused to both while neither does.
  kOwned,
  // kCommonName: the id must be the certificate's CN; no other CN reserves it (CN "a" cannot use
  // "a:b" here, so CN "a:b" can).
  kCommonName,
  // kCommonNamePrefix: the id is the CN, or the CN, ':' and a suffix ("pump-1:ota"). A CN that
  // holds ':' is refused: "a:b" could not be told from an id of CN "a".
  kCommonNamePrefix,
};

// ParseClientIdRule reads "owned", "cn" or "cn-prefix"; nullopt for anything else.
std::optional<ClientIdRule> ParseClientIdRule(std::string_view text);

// Connection is one identity using one client id: who the certificate says it is and what the
// rules grant it. It is shared by the connection and by the session it owns.
struct Connection {
  std::string client_id;
  ClientIdentity who;
  Grants grants;
};

// SavedSession is a session as the state file keeps it (its grants are worked out again).
struct SavedSession {
  std::string client_id;
  ClientIdentity who;  // common_name, serial and uris (roles are worked out again)
};

// Session is what the plugin knows of the broker's session for one client id.
struct Session {
  std::shared_ptr<Connection> owner;  // the last identity admitted with this id
  const void* connection = nullptr;   // the broker's handle while a connection holds it
  // outlives_connection is false for an MQTT 3.1.1 clean session, which ends with its
  // connection; true when the broker may keep it: clean session false, or MQTT 5, whose session
  // expiry interval Mosquitto 2.0 does not show plugins (nor does it say when a session ends).
  bool outlives_connection = true;
  bool ending = false;         // ended with its connection: forgotten at the next tick
  bool denial_logged = false;  // a denial for this offline session was logged already
  uint64_t last_used = 0;      // when it was last connected or disconnected (a counter)
};

// SessionRegistry holds the sessions by client id and the connections by the broker's handle.
// Used on the broker's thread only.
class SessionRegistry final {
 public:
  // kMaxOfflineSessionsPerIdentity bounds what one identity can make the plugin remember by
  // connecting with ever new client ids; past it its least recently used offline session is
  // forgotten (logged), and the broker's session by that id then has no known owner.
  static constexpr size_t kMaxOfflineSessionsPerIdentity = 32;

  explicit SessionRegistry(ClientIdRule rule) : rule_(rule) {}

  ClientIdRule rule() const { return rule_; }

  // MayConnect tells whether `who` may connect with `client_id`: the rule first, then the CNs
  // the id names and the owner of its session (see ClientIdRule). kPermissionDenied says why.
  Status MayConnect(std::string_view client_id, const ClientIdentity& who) const;

  // Connected records that `connection` holds the session of `client_id` as `who`, who becomes
  // its owner; `who`'s CN is known from then on. A connection the broker takes over keeps its own
  // identity until it disconnects.
  void Connected(const void* connection, std::string client_id, ClientIdentity who, Grants grants,
                 bool outlives_connection);
  // Disconnected forgets `connection`; its session stays, offline, unless it ends with it (it is
  // then kept until `ForgetEnded`, for the will check the broker makes right after). Returns the
  // client ids forgotten to keep the identity within kMaxOfflineSessionsPerIdentity.
  std::vector<std::string> Disconnected(const void* connection);
  // ForgetEnded forgets the sessions that ended with their connection.
  void ForgetEnded();

  // Find returns the identity of a connected handle, or null.
  const Connection* Find(const void* connection) const;
  // FindSession returns the session of `client_id`, or null when none is known.
  Session* FindSession(std::string_view client_id);
  // ConnectionsHolding returns the connected handles whose certificate has `serial`.
  std::vector<const Connection*> ConnectionsHolding(const std::string& serial) const;

  // Regrant applies `regrant` to every identity known, connected or offline (a rules reload).
  void Regrant(const std::function<void(Connection&)>& regrant);

  // Saved lists the sessions that may outlive the broker's process (for the state file);
  // Restore adds them back as offline sessions, each with `grants_for` its identity, and knows
  // their CNs.
  std::vector<SavedSession> Saved() const;
  void Restore(const std::vector<SavedSession>& saved,
               const std::function<Grants(const ClientIdentity&)>& grants_for);
  // Identities lists the CNs known (sorted, for the state file); RestoreIdentities knows them
  // again after a restart.
  std::vector<std::string> Identities() const;
  void RestoreIdentities(const std::vector<std::string>& common_names);
  // Knows tells whether `common_name` was admitted (or restored).
  bool Knows(std::string_view common_name) const { return identities_.contains(common_name); }
  // TakeChanged tells whether `Saved` or `Identities` changed since the last call.
  bool TakeChanged() { return std::exchange(changed_, false); }

  size_t size() const { return sessions_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename T>
  using ByString = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

  const Session* LiveSession(std::string_view client_id) const;
  const std::string* OtherNamedCommonName(std::string_view client_id,
                                          std::string_view common_name) const;
  void Know(const std::string& common_name);
  void Forget(const std::string& client_id);
  void Index(const std::string& client_id, const std::string& common_name);
  void Unindex(const std::string& client_id, const std::string& common_name);
  std::vector<std::string> Evict(const std::string& common_name);

  ClientIdRule rule_;
  ByString<Session> sessions_;
  std::unordered_map<const void*, std::shared_ptr<Connection>> connections_;
  std::unordered_multimap<std::string, const void*> connections_by_serial_;
  ByString<std::vector<std::string>> ids_by_owner_;  // CN -> client ids it owns
  // identities_ are the CNs admitted, never forgotten: an id that names one stays reserved for it
  // even while it has no session. Only a certificate the CA issued adds one, one per CN, so the
  // fleet bounds it.
  std::unordered_set<std::string, StringHash, std::equal_to<>> identities_;
  std::vector<std::string> ending_;
  uint64_t clock_ = 0;
  bool changed_ = false;
};

}  // namespace anchor::mqtt
