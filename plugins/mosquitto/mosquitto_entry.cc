// SPDX-License-Identifier: Apache-2.0
// File: mosquitto_entry.cc: the Mosquitto plugin API v5 entry points and event callbacks of
// anchor_mosquitto.so. The only file that sees Mosquitto's types; every decision is made by
// BrokerGuard. Mosquitto runs its loop and these callbacks on one thread.
//
// Mosquitto 2.0 skips plugin authentication entirely when a listener sets
// use_identity_as_username ("Authentication assumed to be cleared", handle_connect.c), so a
// plugin could not refuse a revoked certificate at connect. This plugin therefore does what
// that option does itself: on MOSQ_EVT_BASIC_AUTH it reads the client certificate, checks it,
// and sets the username to the certificate's CN (mosquitto_set_username). Keep
// use_identity_as_username off; with it on, clients are checked at their first publish or
// subscribe instead, and a warning says so.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <exception>
#include <memory>
#include <optional>

#include "core/text.h"
#include "crypto/internal/handles.h"  // Mosquitto hands out the client's X509*
#include "plugins/mosquitto/broker_guard.h"

namespace anchor::mqtt {
namespace {

constexpr int kPluginApiVersion = 5;

struct PluginState {
  mosquitto_plugin_id_t* id = nullptr;
  std::unique_ptr<BrokerGuard> guard;
  bool following = false;
  bool warned_identity_as_username = false;
};

int LevelOf(LogQueue::Level level) {
  switch (level) {
    case LogQueue::Level::kInfo:
      return MOSQ_LOG_INFO;
    case LogQueue::Level::kNotice:
      return MOSQ_LOG_NOTICE;
    case LogQueue::Level::kWarning:
      return MOSQ_LOG_WARNING;
    case LogQueue::Level::kError:
      return MOSQ_LOG_ERR;
  }
  return MOSQ_LOG_NOTICE;
}

void Log(int level, const std::string& text) {
  mosquitto_log_printf(level, "anchor: %s", text.c_str());
}

std::string Describe(struct mosquitto* client) {
  const char* id = mosquitto_client_id(client);
  const char* address = mosquitto_client_address(client);
  return std::string("client '") + (id != nullptr ? id : "?") + "' from " +
         (address != nullptr ? address : "?");
}

void DrainLog(PluginState& state) {
  for (const LogQueue::Line& line : state.guard->log().Drain()) {
    Log(LevelOf(line.level), line.text);
  }
}

// OutlivesConnection tells whether the client's session may outlive its connection. Only an
// MQTT 3.1 or 3.1.1 clean session ends with it for sure; Mosquitto 2.0 does not show plugins an
// MQTT 5 client's session expiry interval, so such a session is kept as if it might.
bool OutlivesConnection(const struct mosquitto* client) {
  return mosquitto_client_protocol_version(client) == 5 || !mosquitto_client_clean_session(client);
}

// HasCertificate is true for a client with a TLS connection now: an offline session has none.
bool HasCertificate(const struct mosquitto* client) {
  // mosquitto_client_certificate returns a new reference, which `native` frees.
  const ossl::Ptr<X509> native(static_cast<X509*>(mosquitto_client_certificate(client)));
  return native != nullptr;
}

// LogRefusal logs a refused connection, unless one of the same `kind` was logged within the
// last minute (RepeatLimiter).
void LogRefusal(PluginState& state, const std::string& kind, Clock::time_point now,
                const std::string& line) {
  if (const std::optional<std::string> note = state.guard->repeats().Pass(kind, now)) {
    Log(MOSQ_LOG_NOTICE, line + *note);
  }
}

// AdmitClient checks the client's certificate and client id; nullopt when refused (logged).
std::optional<ClientIdentity> AdmitClient(PluginState& state, struct mosquitto* client) {
  state.guard->Disconnected(client);  // nothing of an earlier client may outlive its handle
  const Clock::time_point now = SystemClock().Now();
  void* native = mosquitto_client_certificate(client);
  if (native == nullptr) {
    LogRefusal(state, "no-certificate", now,
               "refused " + Describe(client) +
                   ": no client certificate (set require_certificate true on the listener)");
    return std::nullopt;
  }
  const crypto::Certificate cert = crypto::internal::AdoptCertificate(static_cast<X509*>(native));
  const char* id = mosquitto_client_id(client);
  const std::string client_id = id != nullptr ? id : "";
  auto who = state.guard->Admit(cert, client_id, now);
  if (!who) {
    // A device retrying with a revoked certificate is one line a minute: the kind is the
    // certificate and the reason, whatever its address or client id.
    LogRefusal(state, cert.SerialHex() + " " + who.error().message(), now,
               "refused " + Describe(client) + " with certificate '" + cert.CommonName() +
                   "': " + who.error().message());
    return std::nullopt;
  }
  return std::move(*who);
}

// Record makes an admitted client the owner of its client id's session.
void Record(PluginState& state, struct mosquitto* client, ClientIdentity who) {
  const char* id = mosquitto_client_id(client);
  state.guard->Connected(client, id != nullptr ? id : "", std::move(who),
                         OutlivesConnection(client));
}

int OnBasicAuth(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
  try {
    std::optional<ClientIdentity> who = AdmitClient(state, event->client);
    if (!who) {
      return MOSQ_ERR_AUTH;
    }
    // The username becomes the certificate's CN, whatever the client sent: what
    // use_identity_as_username would do, and what mosquitto's logs and %u patterns show.
    if (mosquitto_set_username(event->client, who->common_name.c_str()) != MOSQ_ERR_SUCCESS) {
      Log(MOSQ_LOG_NOTICE, "refused " + Describe(event->client) + ": its CN is not valid UTF-8");
      return MOSQ_ERR_AUTH;
    }
    Record(state, event->client, std::move(*who));
    return MOSQ_ERR_SUCCESS;
  } catch (const std::exception& e) {
    Log(MOSQ_LOG_ERR, std::string("refused a client after an internal error: ") + e.what());
    return MOSQ_ERR_AUTH;
  }
}

Access AccessOf(int access) {
  switch (access) {
    case MOSQ_ACL_WRITE:
      return Access::kPublish;
    case MOSQ_ACL_SUBSCRIBE:
      return Access::kSubscribe;
    default:
      return Access::kReceive;
  }
}

// CheckUnauthenticated admits, at its first check, a connected client that never passed this
// plugin's authentication (use_identity_as_username skips it). A refused one is dropped at the
// next tick: calling back into the broker from inside its check (a kick re-enters the check
// for the session being closed) is what overflowed its stack.
bool CheckUnauthenticated(PluginState& state, struct mosquitto* client) {
  if (!state.warned_identity_as_username) {
    Log(MOSQ_LOG_WARNING,
        "a client reached an ACL check without passing this plugin's authentication; "
        "turn use_identity_as_username off, or revoked certificates are refused only at "
        "their first publish or subscribe");
    state.warned_identity_as_username = true;
  }
  if (std::optional<ClientIdentity> who = AdmitClient(state, client)) {
    Record(state, client, std::move(*who));
    return true;
  }
  const char* id = mosquitto_client_id(client);
  state.guard->Refused(client, id != nullptr ? id : "",
                       "refused at its first publish or subscribe");
  return false;
}

int OnAclCheck(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
  if (event->access == MOSQ_ACL_UNSUBSCRIBE) {
    return MOSQ_ERR_SUCCESS;
  }
  try {
    if (state.guard->Find(event->client) == nullptr && HasCertificate(event->client) &&
        !CheckUnauthenticated(state, event->client)) {
      return MOSQ_ERR_ACL_DENIED;
    }
    const char* id = mosquitto_client_id(event->client);
    AclRequest request;
    request.client = event->client;
    request.client_id = id != nullptr ? id : "";
    request.access = AccessOf(event->access);
    request.topic = event->topic != nullptr ? event->topic : "";
    request.payload = {static_cast<const uint8_t*>(event->payload), event->payloadlen};
    request.retain = event->retain;
    request.now = SystemClock().Now();
    const AclVerdict verdict = state.guard->Check(request);
    if (!verdict.allowed && !verdict.why.empty()) {
      Log(MOSQ_LOG_NOTICE, verdict.why);
    }
    return verdict.allowed ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
  } catch (const std::exception& e) {
    Log(MOSQ_LOG_ERR, std::string("denied an ACL check after an internal error: ") + e.what());
    return MOSQ_ERR_ACL_DENIED;
  }
}

int OnTick(int, void*, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  try {
    if (!state.following) {
      // The feed's thread starts with the broker's loop, not at init: a broker that then
      // fails to open its listeners exits without calling cleanup, and a thread still inside
      // libcurl would race the process's exit handlers.
      state.guard->Start();
      state.following = true;
    }
    // Kicks happen here, outside any check of the broker's, and only of clients connected now
    // (kicking an offline MQTT 5 session would queue it for expiry twice).
    for (const KickTarget& target : state.guard->TakeKicks()) {
      Log(MOSQ_LOG_NOTICE, "disconnecting client '" + target.client_id + "' " + target.why);
      mosquitto_kick_client_by_clientid(target.client_id.c_str(), false);
    }
    state.guard->Tick(SystemClock().Now());
    DrainLog(state);
  } catch (const std::exception& e) {
    Log(MOSQ_LOG_ERR, std::string("tick: ") + e.what());
  }
  return MOSQ_ERR_SUCCESS;
}

int OnDisconnect(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  state.guard->Disconnected(static_cast<mosquitto_evt_disconnect*>(event_data)->client);
  return MOSQ_ERR_SUCCESS;
}

// ListenerCertificatesOfBroker returns the certfiles of the broker's configuration, read the way
// Mosquitto read it (the plugin API does not show a plugin its listeners); empty, with a log
// line, when the configuration cannot be found or read.
std::vector<ListenerCertificate> ListenerCertificatesOfBroker() {
  const std::optional<std::string> conf = BrokerConfigPath();
  if (!conf) {
    Log(MOSQ_LOG_NOTICE,
        "no -c configuration file on Mosquitto's command line: checking "
        "plugin_opt_cert as the listener's certificate");
    return {};
  }
  auto found = ListenerCertificates(*conf);
  if (!found) {
    Log(MOSQ_LOG_NOTICE, "cannot read Mosquitto's configuration for its listeners' certificates (" +
                             found.error().message() +
                             "): checking plugin_opt_cert as the listener's certificate");
    return {};
  }
  return std::move(*found);
}

int OnReload(int, void*, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  try {
    // Mosquitto has just reloaded its listeners' certificates (a renewal's --on-renew sends
    // SIGHUP): a bad one can no longer stop the broker, but it is named at once.
    const Status own =
        state.guard->CheckOwnCertificates(ListenerCertificatesOfBroker(), SystemClock().Now());
    if (!own) {
      Log(MOSQ_LOG_ERR, own.error().message());
    }
    DrainLog(state);
    const Status st = state.guard->ReloadAcl();
    Log(st ? MOSQ_LOG_NOTICE : MOSQ_LOG_ERR,
        st ? std::string("reloaded the ACL rules")
           : "kept the old ACL rules: " + st.error().message());
  } catch (const std::exception& e) {
    Log(MOSQ_LOG_ERR, std::string("reload: ") + e.what());
  }
  return MOSQ_ERR_SUCCESS;
}

struct Registration {
  int event;
  MOSQ_FUNC_generic_callback callback;
};
constexpr Registration kCallbacks[] = {{MOSQ_EVT_BASIC_AUTH, OnBasicAuth},
                                       {MOSQ_EVT_ACL_CHECK, OnAclCheck},
                                       {MOSQ_EVT_TICK, OnTick},
                                       {MOSQ_EVT_DISCONNECT, OnDisconnect},
                                       {MOSQ_EVT_RELOAD, OnReload}};

// Unregister removes every callback of kCallbacks (those never registered are refused quietly).
void Unregister(mosquitto_plugin_id_t* id) {
  for (const Registration& r : kCallbacks) {
    mosquitto_callback_unregister(id, r.event, r.callback, nullptr);
  }
}

int Init(mosquitto_plugin_id_t* id, void** userdata, struct mosquitto_opt* options, int count) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < count; ++i) {
    pairs.emplace_back(options[i].key != nullptr ? options[i].key : "",
                       options[i].value != nullptr ? options[i].value : "");
  }
  auto parsed = ParseGuardOptions(pairs);
  if (!parsed) {
    Log(MOSQ_LOG_ERR, parsed.error().message());
    return MOSQ_ERR_INVAL;
  }
  auto guard = BrokerGuard::Create(std::move(*parsed));
  if (!guard) {
    Log(MOSQ_LOG_ERR, guard.error().message());
    return MOSQ_ERR_INVAL;
  }
  auto state = std::make_unique<PluginState>();
  state->id = id;
  state->guard = std::move(*guard);
  // A broker whose certificate cannot serve TLS would start and then fail every client's
  // handshake ("unsupported certificate"): refuse to start instead, naming the fix.
  const Status own =
      state->guard->CheckOwnCertificates(ListenerCertificatesOfBroker(), SystemClock().Now());
  if (!own) {
    DrainLog(*state);
    Log(MOSQ_LOG_ERR, own.error().message());
    return MOSQ_ERR_INVAL;
  }
  state->guard->FollowOnce();
  for (const Registration& r : kCallbacks) {
    if (mosquitto_callback_register(id, r.event, r.callback, nullptr, state.get()) !=
        MOSQ_ERR_SUCCESS) {
      Unregister(id);
      Log(MOSQ_LOG_ERR, "cannot register a callback (is per_listener_settings on? keep it off)");
      return MOSQ_ERR_INVAL;
    }
  }
  DrainLog(*state);
  Log(MOSQ_LOG_NOTICE,
      "plugin ready: certificate identities, client ids, topic ACLs, live revocation");
  *userdata = state.release();
  return MOSQ_ERR_SUCCESS;
}

}  // namespace
}  // namespace anchor::mqtt

#define ANCHOR_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

ANCHOR_PLUGIN_EXPORT int mosquitto_plugin_version(int count, const int* versions) {
  for (int i = 0; i < count; ++i) {
    if (versions[i] == anchor::mqtt::kPluginApiVersion) {
      return anchor::mqtt::kPluginApiVersion;
    }
  }
  return -1;
}

ANCHOR_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* id, void** userdata,
                                               struct mosquitto_opt* options, int count) {
  try {
    return anchor::mqtt::Init(id, userdata, options, count);
  } catch (const std::exception& e) {
    anchor::mqtt::Log(MOSQ_LOG_ERR, std::string("cannot start: ") + e.what());
    return MOSQ_ERR_UNKNOWN;
  }
}

ANCHOR_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  std::unique_ptr<anchor::mqtt::PluginState> state(
      static_cast<anchor::mqtt::PluginState*>(userdata));
  if (state == nullptr) {
    return MOSQ_ERR_SUCCESS;
  }
  anchor::mqtt::Unregister(state->id);
  try {
    state->guard->SaveState();
    anchor::mqtt::DrainLog(*state);
  } catch (const std::exception& e) {
    anchor::mqtt::Log(MOSQ_LOG_ERR, std::string("cannot save the state file: ") + e.what());
  }
  return MOSQ_ERR_SUCCESS;  // the guard stops its threads as `state` goes
}
