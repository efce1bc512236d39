// SPDX-License-Identifier: Apache-2.0
// File: broker_guard.cc: the plugin's options, admission, client registry and kicks.
#include "plugins/mosquitto/broker_guard.h"

#include <charconv>

#include "core/file_io.h"

namespace anchor::mqtt {
namespace {

Error BadOption(const std::string& key, const std::string& why) {
  return Error(Code::kInvalidArgument, "plugin_opt_" + key + ": " + why);
}

Result<int64_t> PositiveNumber(const std::string& key, const std::string& text, int64_t max) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > max) {
    return BadOption(key, "'" + text + "' is not a number from 1 to " + std::to_string(max));
  }
  return v;
}

Status NeedFile(const std::string& key, const std::string& path) {
  if (path.empty()) {
    return BadOption(key, "is required");
  }
  if (!FileExists(path)) {
    return BadOption(key, path + ": no such file");
  }
  return OkStatus();
}

}  // namespace

Result<GuardOptions> ParseGuardOptions(
    const std::vector<std::pair<std::string, std::string>>& options) {
  GuardOptions g;
  std::string ca_file;
  for (const auto& [key, value] : options) {
    if (key == "ca_url") {
      g.follower.ca_url = value;
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
    } else if (key == "stale_after_s") {
      ANCHOR_ASSIGN_OR_RETURN(const int64_t s, PositiveNumber(key, value, 86400));
      g.stale_after = std::chrono::seconds(s);
    } else if (key == "on_ca_down") {
      if (value != "open" && value != "closed") {
        return BadOption(key, "'" + value +
                                  "': use open (admit against the last known list) "
                                  "or closed (refuse new connections)");
      }
      g.fail_closed = value == "closed";
    } else {
      return BadOption(key,
                       "unknown option; the anchor plugin takes ca_url, ca_file, cert, key, "
                       "acl_file, cache_file, poll_ms, stale_after_s, on_ca_down");
    }
  }
  if (g.follower.ca_url.rfind("https://", 0) != 0) {
    return BadOption("ca_url", "is required, as https://HOST:PORT of anchor serve");
  }
  ANCHOR_TRY(NeedFile("ca_file", ca_file));
  ANCHOR_TRY(NeedFile("cert", g.follower.cert_file));
  ANCHOR_TRY(NeedFile("key", g.follower.key_file));
  ANCHOR_ASSIGN_OR_RETURN(std::string pem, ReadFile(ca_file));
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
      follower_(options_.follower, revocations_, issuers_, log_) {}

Result<std::unique_ptr<BrokerGuard>> BrokerGuard::Create(GuardOptions options) {
  AclPolicy policy = AclPolicy::Default();
  if (!options.acl_file.empty()) {
    ANCHOR_ASSIGN_OR_RETURN(policy, AclPolicy::Load(options.acl_file));
  }
  std::unique_ptr<BrokerGuard> guard(new BrokerGuard(std::move(options), std::move(policy)));
  guard->follower_.LoadCache();
  return guard;
}

void BrokerGuard::FollowOnce() { follower_.Poll(); }

void BrokerGuard::Start() { follower_.Start(); }

bool BrokerGuard::FeedFresh(Clock::time_point now) const {
  return now - follower_.LastSuccess() <= options_.stale_after;
}

Result<ClientIdentity> BrokerGuard::Admit(const crypto::Certificate& cert, Clock::time_point now) {
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
  return who;
}

void BrokerGuard::Connected(const void* client, std::string client_id, ClientIdentity who) {
  Disconnected(client);  // a handle the broker reuses must not keep an old serial indexed
  clients_by_serial_.emplace(who.serial, client);
  Grants grants = policy_.GrantsFor(who);
  clients_[client] = Connection{std::move(client_id), std::move(who), std::move(grants)};
}

void BrokerGuard::Disconnected(const void* client) {
  const auto it = clients_.find(client);
  if (it == clients_.end()) {
    return;
  }
  auto [first, last] = clients_by_serial_.equal_range(it->second.who.serial);
  for (auto s = first; s != last; ++s) {
    if (s->second == client) {
      clients_by_serial_.erase(s);
      break;
    }
  }
  clients_.erase(it);
}

const Connection* BrokerGuard::Find(const void* client) const {
  const auto it = clients_.find(client);
  return it == clients_.end() ? nullptr : &it->second;
}

std::vector<KickTarget> BrokerGuard::TakeKicks() {
  std::vector<KickTarget> out;
  if (!revocations_.HasFresh()) {
    return out;
  }
  for (const std::string& serial : revocations_.TakeFresh()) {
    auto [first, last] = clients_by_serial_.equal_range(serial);
    for (auto s = first; s != last; ++s) {
      const Connection& c = clients_.at(s->second);
      out.push_back(KickTarget{c.client_id, c.who});
    }
  }
  return out;
}

Status BrokerGuard::ReloadAcl() {
  if (options_.acl_file.empty()) {
    return OkStatus();
  }
  ANCHOR_ASSIGN_OR_RETURN(policy_, AclPolicy::Load(options_.acl_file));
  for (auto& [handle, c] : clients_) {
    c.who.roles = policy_.RolesOf(c.who.common_name, c.who.uris);
    c.grants = policy_.GrantsFor(c.who);
  }
  return OkStatus();
}

}  // namespace anchor::mqtt
