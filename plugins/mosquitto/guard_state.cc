// SPDX-License-Identifier: Apache-2.0
// File: guard_state.cc: the state file's JSON and its writer thread.
#include "plugins/mosquitto/guard_state.h"

#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "core/text.h"
#include "plugins/mosquitto/revocation_list.h"

namespace anchor::mqtt {
namespace {

using Json = nlohmann::json;

constexpr int kStateVersion = 2;
constexpr int kStateVersionWithoutIdentities = 1;
constexpr size_t kDigestHexDigits = 32;
// kStateFileMode: the file names every device and what it keeps retained; only the broker reads
// it.
constexpr mode_t kStateFileMode = 0600;

Error BadState(const std::string& why) {
  return Error(Code::kInvalidArgument, "the plugin's state file is not valid: " + why);
}

// Text returns the non-empty string at `key` of `object`, or nullopt.
std::optional<std::string> Text(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

Result<SavedSession> ParseSession(const Json& entry) {
  if (!entry.is_object()) {
    return BadState("a session is not an object");
  }
  auto client_id = Text(entry, "client_id");
  auto cn = Text(entry, "cn");
  auto serial = Text(entry, "serial");
  const auto uris = entry.find("uris");
  if (!client_id || !cn || !serial || !IsSerialHex(*serial) || uris == entry.end() ||
      !uris->is_array()) {
    return BadState("a session without client_id, cn, a lower-case hex serial or uris");
  }
  SavedSession s{std::move(*client_id), {std::move(*cn), std::move(*serial), {}, {}}};
  for (const Json& uri : *uris) {
    if (!uri.is_string()) {
      return BadState("a session's uris hold a non-string");
    }
    s.who.uris.push_back(uri.get<std::string>());
  }
  return s;
}

Result<RetainedPublisher> ParsePublisher(const Json& entry) {
  const auto digest = entry.is_object() ? Text(entry, "digest") : std::nullopt;
  auto serial = entry.is_object() ? Text(entry, "serial") : std::nullopt;
  std::vector<uint8_t> bytes;
  if (!digest || digest->size() != kDigestHexDigits || !HexDecode(*digest, bytes) || !serial ||
      !IsSerialHex(*serial)) {
    return BadState("a retained publisher without a 32-digit hex digest and a serial");
  }
  return RetainedPublisher{std::string(bytes.begin(), bytes.end()), std::move(*serial)};
}

Result<std::pair<std::string, std::vector<RetainedPublisher>>> ParseRetained(const Json& entry) {
  auto topic = entry.is_object() ? Text(entry, "topic") : std::nullopt;
  const auto publishers = entry.is_object() ? entry.find("publishers") : entry.end();
  if (!topic || publishers == entry.end() || !publishers->is_array()) {
    return BadState("a retained entry without topic or publishers");
  }
  std::pair<std::string, std::vector<RetainedPublisher>> out{std::move(*topic), {}};
  for (const Json& p : *publishers) {
    ANCHOR_ASSIGN_OR_RETURN(RetainedPublisher publisher, ParsePublisher(p));
    out.second.push_back(std::move(publisher));
  }
  return out;
}

Result<std::vector<std::string>> ParseIdentities(const Json& list) {
  if (!list.is_array()) {
    return BadState("\"identities\" is not a list");
  }
  std::vector<std::string> out;
  for (const Json& cn : list) {
    if (!cn.is_string() || cn.get_ref<const std::string&>().empty()) {
      return BadState("\"identities\" holds something other than a CN");
    }
    out.push_back(cn.get<std::string>());
  }
  return out;
}

}  // namespace

std::string SerializeGuardState(const GuardState& state) {
  Json sessions = Json::array();
  for (const SavedSession& s : state.sessions) {
    sessions.push_back({{"client_id", s.client_id},
                        {"cn", s.who.common_name},
                        {"serial", s.who.serial},
                        {"uris", s.who.uris}});
  }
  Json retained = Json::array();
  for (const auto& [topic, publishers] : state.retained) {
    Json list = Json::array();
    for (const RetainedPublisher& p : publishers) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(p.digest.data());
      list.push_back({{"digest", HexEncode({bytes, p.digest.size()})}, {"serial", p.serial}});
    }
    retained.push_back({{"topic", topic}, {"publishers", std::move(list)}});
  }
  const Json doc = {{"version", kStateVersion},
                    {"sessions", std::move(sessions)},
                    {"retained", std::move(retained)},
                    {"identities", state.identities}};
  // Client ids and topics are any UTF-8 a client sent; replace what is not rather than throw.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<GuardState> ParseGuardState(std::string_view json) {
  const Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return BadState("not a JSON object");
  }
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() ||
      (version->get<int64_t>() != kStateVersion &&
       version->get<int64_t>() != kStateVersionWithoutIdentities)) {
    return BadState("version is not " + std::to_string(kStateVersion) + " nor " +
                    std::to_string(kStateVersionWithoutIdentities));
  }
  const auto sessions = doc.find("sessions");
  const auto retained = doc.find("retained");
  if (sessions == doc.end() || !sessions->is_array() || retained == doc.end() ||
      !retained->is_array()) {
    return BadState("no \"sessions\" or \"retained\" list");
  }
  GuardState state;
  if (version->get<int64_t>() == kStateVersion) {
    const auto identities = doc.find("identities");
    if (identities == doc.end()) {
      return BadState("no \"identities\" list");
    }
    ANCHOR_ASSIGN_OR_RETURN(state.identities, ParseIdentities(*identities));
  }
  for (const Json& entry : *sessions) {
    ANCHOR_ASSIGN_OR_RETURN(SavedSession s, ParseSession(entry));
    state.sessions.push_back(std::move(s));
  }
  for (const Json& entry : *retained) {
    ANCHOR_ASSIGN_OR_RETURN(auto topic, ParseRetained(entry));
    state.retained.push_back(std::move(topic));
  }
  return state;
}

StateWriter::~StateWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  Flush();
}

void StateWriter::Submit(std::string text) {
  {
    std::lock_guard lock(mu_);
    pending_ = std::move(text);
    if (!thread_.joinable() && !stop_) {
      thread_ = std::thread([this] { Run(); });
    }
  }
  wake_.notify_all();
}

void StateWriter::Flush() {
  std::optional<std::string> text;
  std::lock_guard write(write_mu_);
  {
    std::lock_guard lock(mu_);
    text = std::exchange(pending_, std::nullopt);
  }
  if (text) {
    Write(*text);
  }
}

void StateWriter::Run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stop_ || pending_.has_value(); });
      if (stop_) {
        return;  // the destructor flushes what is left
      }
    }
    Flush();
  }
}

void StateWriter::Write(const std::string& text) {
  const Status st = WriteFileAtomic(path_, text, kStateFileMode);
  const Clock::time_point now = SystemClock().Now();
  if (!st) {
    // Written again at the next change (every save_every at most): logged when it starts
    // failing, as a reminder now and then, and when it works again.
    if (auto line =
            write_log_.Failed(now, "cannot write the plugin's state file: " + st.error().message() +
                                       PermissionRemedy(st.error()))) {
      log_.Push(LogQueue::Level::kWarning, std::move(*line));
    }
    return;
  }
  const bool was_failing = write_log_.failing();
  auto line = write_log_.Succeeded(now, "wrote the plugin's state file " + path_ + " again");
  if (was_failing && line) {
    log_.Push(LogQueue::Level::kNotice, std::move(*line));
  }
}

}  // namespace anchor::mqtt
