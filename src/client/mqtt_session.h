// SPDX-License-Identifier: Apache-2.0
// File: mqtt_session.h: one MQTT client over mTLS through libmosquitto (Mosquitto's own client
// library), for `anchor demo --hardware` (a device whose key is in a TPM), the broker benchmarks
// and the fleet simulation: connect and read the CONNACK, subscribe, publish and wait for the
// PUBACK, and time the moment the broker drops the connection. Header-only: what includes it
// links libmosquitto.
#pragma once

#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace anchor::client {

using Steady = std::chrono::steady_clock;

// BrokerTarget is where the broker listens and the CA its certificate chains to.
struct BrokerTarget {
  std::string host = "localhost";
  int port = 0;
  std::string cafile;
};

// kNoConnack is Connect's answer when no CONNACK came: TLS refused, connection lost, timeout.
inline constexpr int kNoConnack = -1;

class MqttSession final {
 public:
  MqttSession(const BrokerTarget& target, const std::string& cert, const std::string& key)
      : MqttSession(target) {
    ::mosquitto_tls_set(m_, target.cafile.c_str(), nullptr, cert.c_str(), key.c_str(), nullptr);
  }
  // With an OpenSSL SSL_CTX (crypto::TlsClientContext::Native) that verifies the broker and
  // holds the client's certificate and key, a key in a TPM among them: libmosquitto takes its
  // own reference (MOSQ_OPT_SSL_CTX) and, its defaults turned off (libmosquitto 2.0 has them
  // on, and then wants a cafile of its own), adds nothing to it.
  MqttSession(const BrokerTarget& target, void* ssl_ctx) : MqttSession(target) {
    ::mosquitto_int_option(m_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    ::mosquitto_void_option(m_, MOSQ_OPT_SSL_CTX, ssl_ctx);
  }
  ~MqttSession() {
    if (threaded_) {
      ::mosquitto_loop_stop(m_, true);
    }
    ::mosquitto_destroy(m_);
  }
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Connect returns the CONNACK code (0: accepted, 5: not authorised) or kNoConnack.
  int Connect(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (::mosquitto_connect(m_, target_.host.c_str(), target_.port, 60) != MOSQ_ERR_SUCCESS) {
      return kNoConnack;
    }
    const auto deadline = Steady::now() + timeout;
    while (connack_ < 0 && dropped_at_ns_ == 0 && Steady::now() < deadline) {
      if (::mosquitto_loop(m_, 10, 1) != MOSQ_ERR_SUCCESS) {
        break;
      }
    }
    return connack_ < 0 ? kNoConnack : connack_.load();
  }

  // Subscribe waits for the SUBACK.
  bool Subscribe(const std::string& topic,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (::mosquitto_subscribe(m_, nullptr, topic.c_str(), 1) != MOSQ_ERR_SUCCESS) {
      return false;
    }
    const auto deadline = Steady::now() + timeout;
    while (!subscribed_ && Steady::now() < deadline) {
      if (::mosquitto_loop(m_, 10, 1) != MOSQ_ERR_SUCCESS) {
        return false;
      }
    }
    return subscribed_;
  }

  // Publish sends `payload` to `topic` at QoS 1 and waits for the PUBACK. Whether the broker let
  // it through is its ACL's business: MQTT 3.1.1 acknowledges a denied publish too (the broker's
  // log says which); MQTT 5 would carry a reason code.
  bool Publish(const std::string& topic, const std::string& payload,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    int mid = 0;
    if (::mosquitto_publish(m_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                            payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
      return false;
    }
    const auto deadline = Steady::now() + timeout;
    while (published_ != mid && Steady::now() < deadline) {
      if (::mosquitto_loop(m_, 10, 1) != MOSQ_ERR_SUCCESS) {
        return false;
      }
    }
    return published_ == mid;
  }

  // Watch runs the network loop on libmosquitto's thread from now on, so that the moment of a
  // drop is taken when it happens, whatever the caller is doing. No reconnection is attempted.
  void Watch() {
    ::mosquitto_reconnect_delay_set(m_, 3600, 3600, false);
    threaded_ = ::mosquitto_loop_start(m_) == MOSQ_ERR_SUCCESS;
  }

  // DroppedAt is when the broker closed the connection, if it did.
  std::optional<Steady::time_point> DroppedAt() const {
    const int64_t ns = dropped_at_ns_.load();
    if (ns == 0) {
      return std::nullopt;
    }
    return Steady::time_point(Steady::duration(ns));
  }

  // Disconnect says goodbye (a normal DISCONNECT) when not watched.
  void Disconnect() {
    ::mosquitto_disconnect(m_);
    if (!threaded_) {
      ::mosquitto_loop(m_, 10, 1);
    }
  }

 private:
  // The callbacks every session has; the constructors above add its TLS.
  explicit MqttSession(const BrokerTarget& target)
      : target_(target), m_(::mosquitto_new(nullptr, true, this)) {
    ::mosquitto_connect_callback_set(
        m_, [](mosquitto*, void* self, int rc) { static_cast<MqttSession*>(self)->connack_ = rc; });
    ::mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int, int, const int*) {
      static_cast<MqttSession*>(self)->subscribed_ = true;
    });
    ::mosquitto_publish_callback_set(m_, [](mosquitto*, void* self, int mid) {
      static_cast<MqttSession*>(self)->published_ = mid;
    });
    ::mosquitto_disconnect_callback_set(m_, [](mosquitto*, void* self, int) {
      auto* s = static_cast<MqttSession*>(self);
      s->dropped_at_ns_ = Steady::now().time_since_epoch().count();
    });
  }

  BrokerTarget target_;
  mosquitto* m_;
  std::atomic<int> connack_{-1};
  std::atomic<bool> subscribed_{false};
  std::atomic<int> published_{0};
  std::atomic<int64_t> dropped_at_ns_{0};
  bool threaded_ = false;
};

// MqttLibrary initialises libmosquitto for the life of the program.
struct MqttLibrary {
  MqttLibrary() { ::mosquitto_lib_init(); }
  ~MqttLibrary() { ::mosquitto_lib_cleanup(); }
};

}  // namespace anchor::client
