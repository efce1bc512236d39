// SPDX-License-Identifier: Apache-2.0
// File: demo.h: `anchor demo`: the IoT system of seed 002 (a CA, an MQTT broker, two devices)
// and the HTTPS side of seeds 003/004, on loopback, built and checked step by step.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/error.h"

namespace anchor::demo {

// DemoOptions are the flags of `anchor demo`.
struct DemoOptions {
  bool keep = false;      // leave everything running and print how to use it
  std::string dir;        // where to build it; empty: a new temporary directory
  std::string anchor;     // this program
  std::string agent;      // anchor-agent; empty: found beside `anchor`
  std::string plugin;     // anchor_mosquitto.so; empty: found beside `anchor`
  std::string mosquitto;  // empty: from $PATH or /usr/sbin
  int revocation_poll_ms = 250;
  // hardware: the CA's keys made in a SoftHSM2 token (PKCS#11) of the demo's directory, and
  // client_a's key in a software TPM 2.0 (swtpm).
  bool hardware = false;
};

// RunDemo runs every step, printing what it does and a check mark or a cross with its time. It
// fails at the first step that does not pass, and stops every process it started (also on
// Ctrl-C), unless `keep` is set and every step passed. `clock` dates the rogue certificate it
// makes; the programs it runs read their own.
Status RunDemo(DemoOptions options, const Clock& clock);

}  // namespace anchor::demo
