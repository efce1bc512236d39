// SPDX-License-Identifier: Apache-2.0
// File: server_list.h: the replicas of one CA that a client may ask (`anchor serve` processes on
// one PostgreSQL database), and the one failover policy between them that EstClient, AdminClient
// and the broker plugin's feed follower share.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/https_client.h"
#include "core/error.h"

namespace anchor::client {

// FailoverVerdict is what one replica's outcome means for a request sent to a list of replicas.
enum class FailoverVerdict {
  // kAnswer: the replica answered, and its answer is the request's, whatever it says: a 2xx, a
  // 4xx (the request was wrong, or refused: another replica of the same database would say the
  // same, and for an enrollment a second try with a single-use token is not for another replica
  // to judge), a 500, or a TLS alert refusing this client's certificate (kUnauthenticated) or a
  // local certificate that cannot be used (kInvalidArgument).
  kAnswer,
  // kTryAnother: the replica is unavailable: no connection, a reset, a timeout, a TLS handshake
  // that failed (the server's certificate not verified included), or HTTP 502, 503 or 504.
  kTryAnother,
};

// ClassifyOutcome is the verdict on `outcome`, the result of HttpsClient::Get or Post:
// kTryAnother for a transport error of code kUnavailable or a status of 502, 503 or 504,
// kAnswer for everything else.
FailoverVerdict ClassifyOutcome(const Result<HttpResult>& outcome);

// ServerList is the base URLs ("https://host:port") of the replicas of one CA, in the order they
// were given, and which of them is current: the one asked first. It starts with the first URL;
// after a request that the current replica could not answer and another did, that other one is
// current (sticky), so that a fleet keeps away from a dead replica until the one it uses fails
// in turn. Every URL is verified against the same CA trust (the HttpsClient's), each with its
// own host name.
//
// ServerList is a handle: copies share the list's state (the current replica, the switch log),
// so that the EST client, the admin client and the caller that made them agree on which replica
// is current. It is safe to use from several threads.
class ServerList final {
 public:
  // Request is one request to the replica at `base_url` (no trailing slash required).
  using Request = std::function<Result<HttpResult>(const std::string& base_url)>;
  // SwitchLog receives one line each time the current replica changes.
  using SwitchLog = std::function<void(const std::string& line)>;

  // Parse reads the URLs from the values of a repeatable option (`--server` given several times,
  // or plugin_opt_ca_url on several lines), each of which may also be a comma-separated list:
  // {"https://a:8443,https://b:8443"} and {"https://a:8443", "https://b:8443"} are the same list.
  // Blanks around an item are dropped. It returns kInvalidArgument, naming `option`, when no URL
  // is given, an item is empty or a URL is given twice. URLs are not checked further here: the
  // HTTPS client refuses what it cannot reach, and callers that need https:// check it.
  static Result<ServerList> Parse(const std::vector<std::string>& values, std::string_view option);
  // CheckUrls is Parse's verdict on one value of --server (one URL or a comma-separated list),
  // for the command-line parser: the same rule, met before anything runs.
  static Status CheckUrls(const std::string& value);

  // ServerList(url) is a list of the one URL `url`, taken as given (no commas split): the
  // callers that talk to one server, exactly as before lists existed.
  explicit ServerList(std::string url);

  // urls are the replicas in the order given; never empty.
  const std::vector<std::string>& urls() const;
  // Current is the replica asked first by the next request.
  std::string Current() const;
  // Prefer makes `url` current if it is one of the list (a replica the caller knows to have
  // answered before, such as the agent's from its previous run); otherwise nothing changes.
  void Prefer(const std::string& url);
  // SetSwitchLog names where the line about each switch goes ("https://a:8443 is unavailable
  // (why); using https://b:8443 now"); without one, switches are not logged.
  void SetSwitchLog(SwitchLog log);

  // Send runs `request` on the current replica and, while the verdict is kTryAnother, on each
  // other replica once, in list order after the current one (wrapping around). The first replica
  // whose outcome is kAnswer becomes current, and its outcome is returned; a change of the
  // current replica is logged once (SetSwitchLog). With one URL, the outcome is returned as it
  // is (a 503 stays an HttpResult of status 503). With several, when none answers, the result
  // is kUnavailable naming each replica and why, and the current replica does not change.
  //
  // `request` may run more than once, on different replicas: it must be safe to repeat. A
  // request whose answer was lost (a timeout after the request was sent) may have been carried
  // out by the replica that did not answer; docs/OPERATIONS.md says what each request does
  // then (an enrollment gets the same certificate back; a revocation is "already revoked").
  Result<HttpResult> Send(const Request& request) const;

 private:
  struct Shared;
  explicit ServerList(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

}  // namespace anchor::client
