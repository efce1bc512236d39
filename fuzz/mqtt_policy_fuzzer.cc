// SPDX-License-Identifier: Apache-2.0
// File: mqtt_policy_fuzzer.cc: the broker plugin's parsers of outside bytes: the revocation
// feed's JSON (from the network), the ACL rules and the state file (from disk), and topics,
// filters and shared subscriptions (from clients). The first byte chooses; none may crash, a
// policy that parses must answer, and a state file that parses must write back the same.
#include <cstdint>
#include <string_view>

#include "plugins/mosquitto/guard_state.h"
#include "plugins/mosquitto/revocation_list.h"
#include "plugins/mosquitto/topic_acl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      anchor::mqtt::RevocationList list;
      if (auto page = anchor::mqtt::ParseFeedPage(text)) {
        (void)list.Apply(*page);
      }
      break;
    }
    case 1:
      if (auto policy = anchor::mqtt::AclPolicy::Parse(text, "fuzz.toml")) {
        const anchor::mqtt::ClientIdentity who{
            "dev-1", "01", policy->RolesOf("dev-1", {"urn:anchor:device:dev-1"})};
        (void)policy->Allows(who, anchor::mqtt::Access::kSubscribe, "devices/dev-1/#");
        (void)policy->Allows(who, anchor::mqtt::Access::kPublish, "devices/dev-1/telemetry");
      }
      break;
    case 2: {
      const size_t cut = text.find('\n');
      const std::string_view a = text.substr(0, cut);
      const std::string_view b = cut == std::string_view::npos ? "" : text.substr(cut + 1);
      (void)anchor::mqtt::TopicMatches(a, b);
      (void)anchor::mqtt::FilterWithin(a, b);
      (void)anchor::mqtt::IsValidFilter(a);
      if (const auto filter = anchor::mqtt::SubscriptionFilter(a)) {
        (void)anchor::mqtt::FilterWithin(*filter, b);
      }
      break;
    }
    case 3:
      if (auto state = anchor::mqtt::ParseGuardState(text)) {
        const std::string again = anchor::mqtt::SerializeGuardState(*state);
        if (!anchor::mqtt::ParseGuardState(again)) {
          __builtin_trap();  // what the plugin writes, it must read back
        }
      }
      break;
  }
  return 0;
}
