// SPDX-License-Identifier: Apache-2.0
// File: session_registry.cc: client id ownership, connections and offline sessions.
#include "plugins/mosquitto/session_registry.h"

#include <algorithm>

namespace anchor::mqtt {
namespace {

// kSuffixSeparator ends the CN in a cn-prefix client id; see ClientIdRule::kCommonNamePrefix.
constexpr char kSuffixSeparator = ':';

Error Refuse(std::string why) { return Error(Code::kPermissionDenied, std::move(why)); }

// IsSaved tells whether the state file keeps `s`: a session the broker may still hold after a
// restart.
bool IsSaved(const Session& s) { return s.owner != nullptr && s.outlives_connection && !s.ending; }

bool StartsWithCommonName(std::string_view client_id, std::string_view common_name) {
  return client_id.size() > common_name.size() + 1 &&
         client_id.substr(0, common_name.size()) == common_name &&
         client_id[common_name.size()] == kSuffixSeparator;
}

// Names tells whether `client_id` names the CN `common_name`: it is the CN, or starts with the CN
// and ':' (an empty suffix too, which kOwned allows).
bool Names(std::string_view client_id, std::string_view common_name) {
  return client_id.substr(0, common_name.size()) == common_name &&
         (client_id.size() == common_name.size() ||
          client_id[common_name.size()] == kSuffixSeparator);
}

std::string Quoted(std::string_view client_id) {
  return "client id '" + std::string(client_id) + "'";
}

// ColonInCommonName refuses, under kCommonNamePrefix, a CN that holds ':' at `colon`: every id
// it could use would read as an id of another CN, and that CN's ids as its own.
Error ColonInCommonName(const std::string& cn, size_t colon) {
  std::string why = "its CN holds ':', which plugin_opt_client_id cn-prefix reads as the end of ";
  why += "a CN ('" + cn + "' is also an id of CN '" + cn.substr(0, colon) + "'): ";
  why += "issue this identity a CN without ':', or use client_id owned or cn";
  return Refuse(std::move(why));
}

// CheckRule applies the rule alone: which ids the CN allows, whoever else knows them.
Status CheckRule(ClientIdRule rule, std::string_view client_id, const std::string& cn) {
  if (rule == ClientIdRule::kCommonName && client_id != cn) {
    return Refuse(Quoted(client_id) + " is not the certificate's CN (plugin_opt_client_id cn)");
  }
  if (rule != ClientIdRule::kCommonNamePrefix) {
    return OkStatus();
  }
  if (const size_t colon = cn.find(kSuffixSeparator); colon != std::string::npos) {
    return ColonInCommonName(cn, colon);
  }
  if (client_id != cn && !StartsWithCommonName(client_id, cn)) {
    return Refuse(Quoted(client_id) + " is neither the certificate's CN nor '" + cn +
                  ":...' (plugin_opt_client_id cn-prefix)");
  }
  return OkStatus();
}

}  // namespace

std::optional<ClientIdRule> ParseClientIdRule(std::string_view text) {
  if (text == "owned") {
    return ClientIdRule::kOwned;
  }
  if (text == "cn") {
    return ClientIdRule::kCommonName;
  }
  if (text == "cn-prefix") {
    return ClientIdRule::kCommonNamePrefix;
  }
  return std::nullopt;
}

Status SessionRegistry::MayConnect(std::string_view client_id, const ClientIdentity& who) const {
  const std::string& cn = who.common_name;
  ANCHOR_TRY(CheckRule(rule_, client_id, cn));
  const Session* s = LiveSession(client_id);
  const std::string* owner = s != nullptr ? &s->owner->who.common_name : nullptr;
  if (owner != nullptr && *owner == cn && Names(client_id, cn)) {
    return OkStatus();  // of two CNs that name the id ("a", "a:b"), the one that holds it first
  }
  // Under kCommonName the id is the CN, and so no other CN's: there is nothing to reserve.
  if (rule_ != ClientIdRule::kCommonName) {
    if (const std::string* named = OtherNamedCommonName(client_id, cn)) {
      return Refuse(Quoted(client_id) + " belongs to '" + *named +
                    "' (an id that is a CN, or starts with CN:, is that CN's)");
    }
  }
  if (owner != nullptr && *owner != cn && !(Names(client_id, cn) && !Names(client_id, *owner))) {
    //= MQTT 3.1.1 section 3.1.4 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/)
    //# If the ClientId represents a Client already connected to the Server then the Server MUST
    //# disconnect the existing Client [MQTT-3.1.4-2].
    // and a session resumed by id would go to another identity: the id, and its session, belong
    // to the identity that made them, unless the id names the newcomer and not the owner (who
    // took it before the plugin knew the newcomer's CN).
    return Refuse(Quoted(client_id) + " belongs to '" + *owner + "'");
  }
  return OkStatus();
}

const Session* SessionRegistry::LiveSession(std::string_view client_id) const {
  const auto it = sessions_.find(client_id);
  return it == sessions_.end() || it->second.ending ? nullptr : &it->second;
}

const std::string* SessionRegistry::OtherNamedCommonName(std::string_view client_id,
                                                         std::string_view common_name) const {
  // The CNs an id may name are what comes before each ':' in it, and the id itself.
  for (size_t colon = client_id.find(kSuffixSeparator);;
       colon = client_id.find(kSuffixSeparator, colon + 1)) {
    const std::string_view candidate = client_id.substr(0, colon);
    if (const auto it = identities_.find(candidate);
        it != identities_.end() && candidate != common_name) {
      return &*it;
    }
    if (colon == std::string_view::npos) {
      return nullptr;
    }
  }
}

void SessionRegistry::Connected(const void* connection, std::string client_id, ClientIdentity who,
                                Grants grants, bool outlives_connection) {
  Disconnected(connection);  // a handle the broker reuses must not keep an old identity
  Know(who.common_name);
  auto conn =
      std::make_shared<Connection>(Connection{client_id, std::move(who), std::move(grants)});
  connections_by_serial_.emplace(conn->who.serial, connection);
  connections_[connection] = conn;

  Session& s = sessions_[client_id];
  const bool new_owner = s.owner == nullptr || s.owner->who.common_name != conn->who.common_name;
  if (new_owner) {
    if (s.owner != nullptr) {
      Unindex(client_id, s.owner->who.common_name);
    }
    Index(client_id, conn->who.common_name);
  }
  // Only what `Saved` lists counts as a change: clean sessions come and go without a write.
  const bool was_saved = IsSaved(s);
  const bool differs = !was_saved || new_owner || s.owner->who.serial != conn->who.serial;
  changed_ = changed_ || (outlives_connection ? differs : was_saved);
  s.owner = std::move(conn);
  s.connection = connection;
  s.outlives_connection = outlives_connection;
  s.ending = false;
  s.denial_logged = false;
  s.last_used = ++clock_;
}

std::vector<std::string> SessionRegistry::Disconnected(const void* connection) {
  const auto it = connections_.find(connection);
  if (it == connections_.end()) {
    return {};
  }
  const std::shared_ptr<Connection> conn = std::move(it->second);
  connections_.erase(it);
  auto [first, last] = connections_by_serial_.equal_range(conn->who.serial);
  for (auto c = first; c != last; ++c) {
    if (c->second == connection) {
      connections_by_serial_.erase(c);
      break;
    }
  }
  const auto s = sessions_.find(conn->client_id);
  if (s == sessions_.end() || s->second.connection != connection) {
    return {};  // another connection took the session over
  }
  s->second.connection = nullptr;
  s->second.last_used = ++clock_;
  if (!s->second.outlives_connection) {
    //= MQTT 3.1.1 section 3.1.2.4 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/)
    //# If CleanSession is set to 1, the Client and Server MUST discard any previous Session and
    //# start a new one. This Session lasts as long as the Network Connection.
    s->second.ending = true;
    ending_.push_back(conn->client_id);
    return {};
  }
  return Evict(conn->who.common_name);
}

void SessionRegistry::ForgetEnded() {
  for (const std::string& client_id : ending_) {
    const auto s = sessions_.find(client_id);
    if (s != sessions_.end() && s->second.ending && s->second.connection == nullptr) {
      Forget(client_id);
    }
  }
  ending_.clear();
}

const Connection* SessionRegistry::Find(const void* connection) const {
  const auto it = connections_.find(connection);
  return it == connections_.end() ? nullptr : it->second.get();
}

Session* SessionRegistry::FindSession(std::string_view client_id) {
  const auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<const Connection*> SessionRegistry::ConnectionsHolding(
    const std::string& serial) const {
  std::vector<const Connection*> out;
  auto [first, last] = connections_by_serial_.equal_range(serial);
  for (auto c = first; c != last; ++c) {
    out.push_back(connections_.at(c->second).get());
  }
  return out;
}

void SessionRegistry::Regrant(const std::function<void(Connection&)>& regrant) {
  for (auto& [handle, conn] : connections_) {
    regrant(*conn);
  }
  for (auto& [client_id, s] : sessions_) {
    if (s.connection == nullptr) {  // a connected owner was regranted above
      regrant(*s.owner);
    }
  }
}

std::vector<SavedSession> SessionRegistry::Saved() const {
  std::vector<SavedSession> out;
  for (const auto& [client_id, s] : sessions_) {
    if (IsSaved(s)) {
      out.push_back(SavedSession{client_id, s.owner->who});
    }
  }
  return out;
}

void SessionRegistry::Restore(const std::vector<SavedSession>& saved,
                              const std::function<Grants(const ClientIdentity&)>& grants_for) {
  for (const SavedSession& entry : saved) {
    if (sessions_.find(entry.client_id) != sessions_.end()) {
      continue;
    }
    Session& s = sessions_[entry.client_id];
    s.owner =
        std::make_shared<Connection>(Connection{entry.client_id, entry.who, grants_for(entry.who)});
    s.last_used = ++clock_;
    Know(entry.who.common_name);
    Index(entry.client_id, entry.who.common_name);
    Evict(entry.who.common_name);
  }
}

std::vector<std::string> SessionRegistry::Identities() const {
  std::vector<std::string> out(identities_.begin(), identities_.end());
  std::sort(out.begin(), out.end());  // a state file that does not churn with the hash order
  return out;
}

void SessionRegistry::RestoreIdentities(const std::vector<std::string>& common_names) {
  identities_.insert(common_names.begin(), common_names.end());
}

void SessionRegistry::Know(const std::string& common_name) {
  changed_ = identities_.insert(common_name).second || changed_;
}

void SessionRegistry::Forget(const std::string& client_id) {
  const auto s = sessions_.find(client_id);
  if (s == sessions_.end()) {
    return;
  }
  Unindex(client_id, s->second.owner->who.common_name);
  changed_ = changed_ || IsSaved(s->second);
  sessions_.erase(s);
}

void SessionRegistry::Index(const std::string& client_id, const std::string& common_name) {
  ids_by_owner_[common_name].push_back(client_id);
}

void SessionRegistry::Unindex(const std::string& client_id, const std::string& common_name) {
  const auto owned = ids_by_owner_.find(common_name);
  if (owned == ids_by_owner_.end()) {
    return;
  }
  std::erase(owned->second, client_id);
  if (owned->second.empty()) {
    ids_by_owner_.erase(owned);
  }
}

std::vector<std::string> SessionRegistry::Evict(const std::string& common_name) {
  std::vector<std::string> evicted;
  const auto owned = ids_by_owner_.find(common_name);
  if (owned == ids_by_owner_.end()) {
    return evicted;
  }
  std::vector<std::pair<uint64_t, std::string>> offline;
  for (const std::string& client_id : owned->second) {
    const Session& s = sessions_.find(client_id)->second;
    if (s.connection == nullptr && !s.ending) {
      offline.emplace_back(s.last_used, client_id);
    }
  }
  if (offline.size() <= kMaxOfflineSessionsPerIdentity) {
    return evicted;
  }
  std::sort(offline.begin(), offline.end());
  offline.resize(offline.size() - kMaxOfflineSessionsPerIdentity);
  for (auto& [when, client_id] : offline) {
    Forget(client_id);
    evicted.push_back(std::move(client_id));
  }
  return evicted;
}

}  // namespace anchor::mqtt
