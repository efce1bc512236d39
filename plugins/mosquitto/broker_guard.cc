// SPDX-License-Identifier: Apache-2.0
// File: broker_guard.cc: the plugin's options, admission, client registry and kicks.
#include "plugins/mosquitto/broker_guard.h"

#include <charconv>

#include "core/file_io.h"
#include "core/text.h"

namespace anchor::mqtt {
namespace {

Error BadOption(const std::string& key, const std::string& why) {
  return Error(Code::kInvalidArgument, "plugin_opt_" + key + ": " + why);
}

Result<int64_t> NumberFrom(int64_t min, const std::string& key, const std::string& text,
                           int64_t max) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return BadOption(key, "'" + text + "' is not a number from " + std::to_string(min) + " to " +
                              std::to_string(max));
  }
  return v;
}

Result<int64_t> PositiveNumber(const std::string& key, const std::string& text, int64_t max) {
  return NumberFrom(1, key, text, max);
}

// NeedFile reads the file an option names, as the user the broker runs as: a file that user
// may not read is named as such (with the user), not as missing.
Result<std::string> NeedFile(const std::string& key, const std::string& path) {
  if (path.empty()) {
    return BadOption(key, "is required");
  }
  auto text = ReadFile(path);
  if (!text) {
    return BadOption(key, text.error().message() + PermissionRemedy(text.error()));
  }
  return text;
}

}  // namespace

Result<GuardOptions> ParseGuardOptions(
    const std::vector<std::pair<std::string, std::string>>& options) {
  GuardOptions g;
  std::string ca_file;
  std::vector<std::string> ca_urls;
  for (const auto& [key, value] : options) {
    if (key == "ca_url") {
      ca_urls.push_back(value);  // repeatable, and each may be a comma-separated list
    } else if (key == "ca_file") {
      ca_file = value;
    } else if (key == "cert") {
      g.follower.cert_file = value;
    } else if (key == "key") {
      g.follower.key_file = value;
    } else if (key == "acl_file") {
      g.acl_file = value;
    } else if (key == "cache_file") {
      g.follower.cache_file = value;
    } else if (key == "poll_ms") {
      ANCHOR_ASSIGN_OR_RETURN(const int64_t ms, PositiveNumber(key, value, 60000));
      g.follower.poll_interval = std::chrono::milliseconds(ms);
    } else if (key == "feed_wait_s") {
      // The feed's own bound (api/revocation_feed.h kFeedMaxWait); 0 polls every poll_ms.
      ANCHOR_ASSIGN_OR_RETURN(const int64_t s, NumberFrom(0, key, value, 55));
      g.follower.feed_wait = std::chrono::seconds(s);
    } else if (key == "stale_after_s") {
      ANCHOR_ASSIGN_OR_RETURN(const int64_t s, PositiveNumber(key, value, 86400));
      g.stale_after = std::chrono::seconds(s);
    } else if (key == "client_id") {
      const auto rule = ParseClientIdRule(value);
      if (!rule) {
        return BadOption(key, "'" + value +
                                  "': use owned (an id belongs to the identity that first used "
                                  "it), cn (the id is the CN) or cn-prefix (the CN or CN:...)");
      }
      g.client_id_rule = *rule;
    } else if (key == "listener_ca_file") {
      ANCHOR_ASSIGN_OR_RETURN(const std::string listener_pem, NeedFile(key, value));
      auto listener_roots = crypto::Certificate::ParseAll(listener_pem);
      if (!listener_roots || listener_roots->empty()) {
        return BadOption(key, value + " holds no PEM certificate");
      }
      g.listener_roots = std::move(*listener_roots);
    } else if (key == "state_file") {
      if (value.empty()) {
        return BadOption(key, "needs a path");
      }
      g.state_file = value;
    } else if (key == "on_ca_down") {
      if (value != "open" && value != "closed") {
        return BadOption(key, "'" + value +
                                  "': use open (admit against the last known list) "
                                  "or closed (refuse new connections)");
      }
      g.fail_closed = value == "closed";
    } else {
      std::vector<std::string> known(std::begin(kPluginOptions), std::end(kPluginOptions));
      return BadOption(key, "unknown option; the anchor plugin takes " + Join(known, ", "));
    }
  }
  if (ca_urls.empty()) {
    return BadOption("ca_url", "is required, as https://HOST:PORT of anchor serve");
  }
  auto servers = client::ServerList::Parse(ca_urls, "plugin_opt_ca_url");
  if (!servers) {
    return servers.error();
  }
  for (const std::string& url : servers->urls()) {
    if (url.rfind("https://", 0) != 0) {
      return BadOption("ca_url", "'" + Printable(url) +
                                     "' is not https://HOST:PORT of anchor serve (several: "
                                     "separate them with commas, or repeat the option)");
    }
  }
  g.follower.servers = std::move(servers).value();
  ANCHOR_ASSIGN_OR_RETURN(const std::string pem, NeedFile("ca_file", ca_file));
  ANCHOR_TRY(NeedFile("cert", g.follower.cert_file));
  ANCHOR_TRY(NeedFile("key", g.follower.key_file));
  auto roots = crypto::Certificate::ParseAll(pem);
  if (!roots) {
    return BadOption("ca_file", roots.error().message());
  }
  g.follower.roots = std::move(*roots);
  return g;
}

BrokerGuard::BrokerGuard(GuardOptions options, AclPolicy policy)
    : options_(std::move(options)),
      policy_(std::move(policy)),
      follower_(options_.follower, revocations_, issuers_, log_),
      sessions_(options_.client_id_rule) {}

Result<std::unique_ptr<BrokerGuard>> BrokerGuard::Create(GuardOptions options) {
  AclPolicy policy = AclPolicy::Default();
  if (!options.acl_file.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(policy, AclPolicy::Load(options.acl_file));
  }
  std::unique_ptr<BrokerGuard> guard(new BrokerGuard(std::move(options), std::move(policy)));
  guard->follower_.LoadCache();
  guard->LoadState();
  return guard;
}

void BrokerGuard::LoadState() {
  if (options_.state_file.empty()) {
    log_.Push(LogQueue::Level::kNotice,
              "no plugin_opt_state_file: if Mosquitto's persistence is on, the sessions and "
              "retained messages it restores after a restart have no known owner or publisher");
    return;
  }
  state_writer_ = std::make_unique<StateWriter>(options_.state_file, log_);
  auto text = ReadFile(options_.state_file);
  if (!text && text.error().code() == Code::kNotFound) {
    return;  // a first start: the tick writes it
  }
  auto state =
      text ? ParseGuardState(*text)
           : Result<GuardState>(Error(text.error().code(),
                                      text.error().message() + PermissionRemedy(text.error())));
  if (!state) {
    // Without it, sessions restored by the broker have no known owner: their deliveries are
    // refused and their ids are free to the first identity, as on a first start.
    log_.Push(LogQueue::Level::kWarning,
              "ignoring the state file " + options_.state_file + ": " + state.error().message());
    return;
  }
  for (SavedSession& s : state->sessions) {
    s.who.roles = policy_.RolesOf(s.who.common_name, s.who.uris);
  }
  sessions_.Restore(state->sessions,
                    [&](const ClientIdentity& who) { return policy_.GrantsFor(who); });
  sessions_.RestoreIdentities(state->identities);
  for (auto& [topic, publishers] : state->retained) {
    retained_.Restore(std::move(topic), std::move(publishers));
  }
  (void)sessions_.TakeChanged();
  (void)retained_.TakeChanged();
  log_.Push(LogQueue::Level::kNotice, "loaded the state file " + options_.state_file + ": " +
                                          std::to_string(sessions_.size()) + " session owner(s), " +
                                          std::to_string(sessions_.Identities().size()) +
                                          " identities, " + std::to_string(retained_.size()) +
                                          " retained topic(s)");
}

Status BrokerGuard::CheckOwnCertificates(const std::vector<ListenerCertificate>& listeners,
                                         Clock::time_point now) {
  std::vector<ListenerCertificate> checked = listeners;
  if (checked.empty()) {
    checked.push_back(ListenerCertificate{
        options_.follower.cert_file,
        "plugin_opt_cert, standing in for the listener's certfile, which the plugin could not "
        "find in Mosquitto's configuration"});
  }
  for (const ListenerCertificate& c : checked) {
    auto pem = ReadFile(c.path);
    if (!pem) {
      return Error(Code::kFailedPrecondition, "the listener's certificate (certfile of " + c.where +
                                                  "): " + pem.error().message() +
                                                  PermissionRemedy(pem.error()));
    }
    const bool own_roots = !options_.listener_roots.empty();
    const Status st =
        CheckBrokerCertificate(*pem, own_roots ? options_.listener_roots : options_.follower.roots,
                               CertificateRole::kListener, now,
                               own_roots ? "plugin_opt_listener_ca_file" : "plugin_opt_ca_file");
    if (!st) {
      return Error(Code::kFailedPrecondition,
                   "the listener's certificate " + c.path + " (" + c.where +
                       ") cannot serve TLS to MQTT clients: " + st.error().message());
    }
    log_.Push(LogQueue::Level::kNotice,
              "the listener's certificate " + c.path + " (" + c.where +
                  ") can serve TLS to MQTT clients: " + DescribeLeaf(*pem));
  }
  auto pem = ReadFile(options_.follower.cert_file);
  if (!pem) {
    return Error(Code::kFailedPrecondition,
                 "plugin_opt_cert: " + pem.error().message() + PermissionRemedy(pem.error()));
  }
  const Status st =
      CheckBrokerCertificate(*pem, options_.follower.roots, CertificateRole::kFeedClient, now);
  if (!st) {
    return Error(Code::kFailedPrecondition,
                 "plugin_opt_cert " + options_.follower.cert_file +
                     " cannot be presented to the CA: " + st.error().message());
  }
  return OkStatus();
}

void BrokerGuard::FollowOnce() { follower_.Poll(); }

void BrokerGuard::Start() { follower_.Start(); }

bool BrokerGuard::FeedFresh(Clock::time_point now) const {
  return now - follower_.LastSuccess() <= options_.stale_after;
}

Result<ClientIdentity> BrokerGuard::Admit(const crypto::Certificate& cert,
                                          std::string_view client_id, Clock::time_point now) {
  const auto refuse = [](const std::string& why) { return Error(Code::kPermissionDenied, why); };
  if (!issuers_.Known()) {
    if (options_.fail_closed) {
      return refuse("the anchor CA has not been reached yet and on_ca_down is closed");
    }
    if (!warned_unknown_issuers_) {
      log_.Push(LogQueue::Level::kWarning,
                "the anchor CA has not been reached yet: admitting clients on the broker's own "
                "chain check until its intermediate is known (on_ca_down open)");
      warned_unknown_issuers_ = true;
    }
  } else if (!issuers_.Issued(cert)) {
    return refuse("not issued by the anchor CA (issuer " + cert.Issuer() + ")");
  }
  auto who = IdentifyClient(cert, policy_);
  if (!who) {
    return refuse(who.error().message());
  }
  if (revocations_.IsRevoked(who->serial)) {
    return refuse("certificate " + who->serial + " is revoked");
  }
  if (options_.fail_closed && !FeedFresh(now)) {
    return refuse("the anchor CA's revocation feed has not answered for over " +
                  std::to_string(options_.stale_after.count()) + " s and on_ca_down is closed");
  }
  ANCHOR_TRY(sessions_.MayConnect(client_id, *who));
  return who;
}

void BrokerGuard::Connected(const void* client, std::string client_id, ClientIdentity who,
                            bool outlives_connection) {
  refused_.erase(client);
  Grants grants = policy_.GrantsFor(who);
  sessions_.Connected(client, std::move(client_id), std::move(who), std::move(grants),
                      outlives_connection);
}

void BrokerGuard::Disconnected(const void* client) {
  refused_.erase(client);
  for (const std::string& forgotten : sessions_.Disconnected(client)) {
    log_.Push(LogQueue::Level::kWarning,
              "forgot the owner of the offline session '" + forgotten +
                  "': its identity keeps more than " +
                  std::to_string(SessionRegistry::kMaxOfflineSessionsPerIdentity) +
                  " offline sessions");
  }
}

namespace {

std::string Describe(const ClientIdentity& who) {
  return "'" + who.common_name + "' (serial " + who.serial + ")";
}

AclVerdict Allow() { return AclVerdict{true, {}}; }
AclVerdict Deny(std::string why) { return AclVerdict{false, std::move(why)}; }

std::string Asked(const AclRequest& r) {
  return "denied " + std::string(AccessName(r.access)) + " '" + std::string(r.topic) + "' to ";
}

// Whom names who a check was for: a connected identity, or an offline session and its owner.
std::string Whom(const AclRequest& r, const Connection& c, const Session* offline) {
  const std::string who = Describe(c.who);
  return offline ? "the offline session '" + std::string(r.client_id) + "' of " + who : who;
}

// DenyTo denies with `why`; for an offline session only its first denial is logged, since
// every message for a busy topic would repeat it until the owner is back.
AclVerdict DenyTo(Session* offline, std::string why) {
  if (offline == nullptr) {
    return Deny(std::move(why));
  }
  if (std::exchange(offline->denial_logged, true)) {
    return Deny("");
  }
  return Deny(std::move(why) + " (not logged again until it reconnects)");
}

}  // namespace

AclVerdict BrokerGuard::Check(const AclRequest& r) {
  AclVerdict verdict = Decide(r);
  if (verdict.allowed || verdict.why.empty()) {
    return verdict;
  }
  // A client that keeps publishing where it may not is one line a minute, not one per message:
  // the line names the identity, the access and the topic, so it is its own kind.
  const std::optional<std::string> note = repeats_.Pass(verdict.why, r.now);
  verdict.why = note ? verdict.why + *note : std::string();
  return verdict;
}

AclVerdict BrokerGuard::Decide(const AclRequest& r) {
  // Not connected: the broker checks a delivery queued for an offline session, or a will it
  // sends after the connection closed. The session's owner decides, remembered by client id.
  Session* offline = nullptr;
  const Connection* c = sessions_.Find(r.client);
  if (c == nullptr) {
    offline = sessions_.FindSession(r.client_id);
    if (offline == nullptr) {
      return DenyUnknown(r.client_id);
    }
    c = offline->owner.get();
  }
  if (revocations_.IsRevoked(c->who.serial)) {
    // Nothing is queued for, or sent on behalf of, an identity that cannot come back.
    return DenyTo(offline, Asked(r) + Whom(r, *c, offline) + ": its certificate is revoked");
  }
  if (const std::string* publisher = RevokedPublisher(r)) {
    return DenyTo(offline, Asked(r) + Whom(r, *c, offline) +
                               ": the retained message was published by certificate " + *publisher +
                               ", since revoked");
  }
  if (!c->grants.Allows(r.access, r.topic)) {
    return DenyTo(offline, Asked(r) + Whom(r, *c, offline) + " (roles: " +
                               (c->who.roles.empty() ? "none" : Join(c->who.roles, ", ")) + ")");
  }
  if (r.access == Access::kPublish && r.retain) {
    retained_.Record(r.topic, r.payload, c->who.serial);  // a publish, or a will
  }
  return Allow();
}

const std::string* BrokerGuard::RevokedPublisher(const AclRequest& r) const {
  if (r.access != Access::kReceive || !r.retain || !retained_.Knows(r.topic)) {
    return nullptr;  // hashing only the retained deliveries of topics the ledger knows
  }
  const std::string* publisher = retained_.PublisherOf(r.topic, r.payload);
  return publisher != nullptr && revocations_.IsRevoked(*publisher) ? publisher : nullptr;
}

AclVerdict BrokerGuard::DenyUnknown(std::string_view client_id) {
  // A session the broker restored from its persistence while the plugin had no state file, or
  // whose owner was forgotten (kMaxOfflineSessionsPerIdentity): nobody vouches for it.
  constexpr size_t kMaxRemembered = 1024;
  if (unknown_logged_.size() >= kMaxRemembered) {
    unknown_logged_.clear();
  }
  if (!unknown_logged_.emplace(client_id).second) {
    return Deny("");
  }
  return Deny("denied a delivery or will for client id '" + std::string(client_id) +
              "': the plugin knows no identity that owns its session (set plugin_opt_state_file "
              "so that owners survive a broker restart); not logged again");
}

void BrokerGuard::Refused(const void* client, std::string client_id, std::string why) {
  refused_[client] = KickTarget{std::move(client_id), std::move(why)};
}

std::vector<KickTarget> BrokerGuard::TakeKicks() {
  std::vector<KickTarget> out;
  for (auto& [handle, target] : refused_) {
    out.push_back(std::move(target));
  }
  refused_.clear();
  if (!revocations_.HasFresh()) {
    return out;
  }
  for (const std::string& serial : revocations_.TakeFresh()) {
    for (const Connection* c : sessions_.ConnectionsHolding(serial)) {
      out.push_back(KickTarget{c->client_id, Describe(c->who) + ": its certificate was revoked"});
    }
  }
  return out;
}

void BrokerGuard::Tick(Clock::time_point now) {
  sessions_.ForgetEnded();
  if (state_writer_ == nullptr || now - last_save_ < options_.save_every) {
    return;
  }
  const bool sessions_changed = sessions_.TakeChanged();
  const bool retained_changed = retained_.TakeChanged();
  if (sessions_changed || retained_changed) {
    last_save_ = now;
    state_writer_->Submit(SerializeGuardState(CurrentState()));
  }
}

void BrokerGuard::SaveState() {
  if (state_writer_ == nullptr) {
    return;
  }
  sessions_.ForgetEnded();
  state_writer_->Submit(SerializeGuardState(CurrentState()));
  state_writer_->Flush();
}

GuardState BrokerGuard::CurrentState() const {
  GuardState state{sessions_.Saved(), {}, sessions_.Identities()};
  retained_.ForEach([&](const std::string& topic, const std::vector<RetainedPublisher>& p) {
    state.retained.emplace_back(topic, p);
  });
  return state;
}

Status BrokerGuard::ReloadAcl() {
  if (options_.acl_file.empty()) {
    return OkStatus();
  }
  ANCHOR_ASSIGN_OR_RETURN(policy_, AclPolicy::Load(options_.acl_file));
  sessions_.Regrant([&](Connection& c) {
    c.who.roles = policy_.RolesOf(c.who.common_name, c.who.uris);
    c.grants = policy_.GrantsFor(c.who);
  });
  return OkStatus();
}

}  // namespace anchor::mqtt
