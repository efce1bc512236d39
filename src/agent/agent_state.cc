// SPDX-License-Identifier: Apache-2.0
// File: agent_state.cc: the state file as JSON.
#include "agent/agent_state.h"

#include <nlohmann/json.hpp>

#include "core/file_io.h"

namespace anchor::agent {

std::string StatePath(const std::string& cert_path) { return cert_path + ".state.json"; }

Status SaveState(const std::string& cert_path, const AgentState& s) {
  const nlohmann::json j = {{"common_name", s.common_name},
                            {"serial", s.serial},
                            {"not_after", s.not_after},
                            {"next_renewal", s.next_renewal},
                            {"last_renewal", s.last_renewal},
                            {"last_error", s.last_error},
                            {"last_error_at", s.last_error_at},
                            {"failures", s.failures},
                            {"renewal_jitter_seconds", s.renewal_jitter_seconds},
                            {"next_attempt_unix", s.next_attempt_unix},
                            {"server", s.server}};
  return WriteFileAtomic(StatePath(cert_path), j.dump(2) + "\n", kPublicFileMode);
}

Result<AgentState> LoadState(const std::string& cert_path) {
  const std::string path = StatePath(cert_path);
  if (!FileExists(path)) {
    return AgentState{};
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Error(Code::kInvalidArgument, path + ": not a state file; delete it");
  }
  AgentState s;
  s.common_name = j.value("common_name", "");
  s.serial = j.value("serial", "");
  s.not_after = j.value("not_after", "");
  s.next_renewal = j.value("next_renewal", "");
  s.last_renewal = j.value("last_renewal", "");
  s.last_error = j.value("last_error", "");
  s.last_error_at = j.value("last_error_at", "");
  s.failures = j.value("failures", 0);
  s.renewal_jitter_seconds = j.value("renewal_jitter_seconds", int64_t{-1});
  s.next_attempt_unix = j.value("next_attempt_unix", int64_t{0});
  s.server = j.value("server", "");
  return s;
}

}  // namespace anchor::agent
