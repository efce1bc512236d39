// SPDX-License-Identifier: Apache-2.0
// File: guard_state.h: the plugin's state file (plugin_opt_state_file), which carries across
// broker restarts what Mosquitto's own persistence keeps but does not tell plugins: who owns
// each persistent session, and who published each retained message.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "plugins/mosquitto/feed_follower.h"
#include "plugins/mosquitto/retained_ledger.h"
#include "plugins/mosquitto/session_registry.h"
#include "plugins/mosquitto/state_change_log.h"

namespace anchor::mqtt {

// GuardState is the content of the state file.
struct GuardState {
  std::vector<SavedSession> sessions;
  std::vector<std::pair<std::string, std::vector<RetainedPublisher>>> retained;  // by topic
  // identities are the CNs the plugin has admitted: the ids that name them stay theirs.
  std::vector<std::string> identities;
};

// SerializeGuardState writes `state` as JSON:
//   {"version": 2, "sessions": [{"client_id", "cn", "serial", "uris": [...]}],
//    "retained": [{"topic", "publishers": [{"digest": 32 hex digits, "serial"}]}],
//    "identities": ["CN", ...]}
std::string SerializeGuardState(const GuardState& state);

// ParseGuardState reads what SerializeGuardState wrote, and version 1 (before "identities":
// the sessions' CNs are the only ones it knew, and the registry knows those from the sessions).
// Anything else (another version, a field missing or of the wrong type, a serial that is not
// lower-case hex) is kInvalidArgument: a state file the plugin cannot fully trust is better
// ignored than half applied.
Result<GuardState> ParseGuardState(std::string_view json);

// StateWriter writes the state file on a thread of its own, so that the broker's loop never
// waits for a disk; of the texts submitted while a write runs, only the latest is written.
class StateWriter final {
 public:
  StateWriter(std::string path, LogQueue& log) : path_(std::move(path)), log_(log) {}
  ~StateWriter();  // writes what is pending, then stops
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // Submit queues `text` to be written; the thread starts at the first call (from the broker's
  // loop, never at plugin init: see OnTick in mosquitto_entry.cc).
  void Submit(std::string text);
  // Flush writes what is pending on the caller's thread and waits for a write in progress.
  void Flush();

 private:
  void Run();
  void Write(const std::string& text);

  std::string path_;
  LogQueue& log_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<std::string> pending_;
  bool stop_ = false;
  std::mutex write_mu_;       // one write at a time: the thread's, or Flush's
  StateChangeLog write_log_;  // under write_mu_: the file written or not, logged as it changes
  std::thread thread_;
};

}  // namespace anchor::mqtt
