// SPDX-License-Identifier: Apache-2.0
// File: server_list.cc: parsing a list of replicas, and trying them in turn.
#include "client/server_list.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "core/text.h"

namespace anchor::client {
namespace {

// UrlPart is one part of a URL as libcurl's URL parser (curl_url, RFC 3986) reads it; "" when
// the URL has none.
std::string UrlPart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (::curl_url_get(url, part, &text, 0) != CURLUE_OK || text == nullptr) {
    return "";
  }
  std::string out(text);
  ::curl_free(text);
  return out;
}

// BaseUrl checks that `item` names a replica as https://HOST[:PORT] and returns it in one
// spelling (scheme and host in lower case, no trailing slash), so that a replica given twice is
// seen as such. Refused: another scheme (the feed and enrollment need TLS), user information
// (it would be sent to every replica and written in logs and the agent's state), a path, a
// query or a fragment (the endpoints' paths are anchor's).
Result<std::string> BaseUrl(const std::string& item, std::string_view option) {
  const std::string named = std::string(option) + " " + Printable(item);
  std::unique_ptr<CURLU, decltype(&::curl_url_cleanup)> url(::curl_url(), &::curl_url_cleanup);
  if (!url || ::curl_url_set(url.get(), CURLUPART_URL, item.c_str(), 0) != CURLUE_OK) {
    return Error(Code::kInvalidArgument,
                 named + " is not a URL; write https://HOST[:PORT] for each replica");
  }
  if (!UrlPart(url.get(), CURLUPART_USER).empty() ||
      !UrlPart(url.get(), CURLUPART_PASSWORD).empty()) {
    return Error(Code::kInvalidArgument,
                 std::string(option) +
                     " holds user information (USER:PASSWORD@), which would be sent to every "
                     "replica and written in logs; anchor authenticates with certificates and "
                     "tokens: remove it");
  }
  if (ToLower(UrlPart(url.get(), CURLUPART_SCHEME)) != "https") {
    return Error(Code::kInvalidArgument, named +
                                             " is not an https:// URL; anchor serve is "
                                             "reached over TLS: https://HOST[:PORT]");
  }
  const std::string path = UrlPart(url.get(), CURLUPART_PATH);
  if ((!path.empty() && path != "/") || !UrlPart(url.get(), CURLUPART_QUERY).empty() ||
      !UrlPart(url.get(), CURLUPART_FRAGMENT).empty()) {
    return Error(Code::kInvalidArgument,
                 named + " has a path, query or fragment; give only https://HOST[:PORT]");
  }
  const std::string port = UrlPart(url.get(), CURLUPART_PORT);
  return "https://" + ToLower(UrlPart(url.get(), CURLUPART_HOST)) +
         (port.empty() ? "" : ":" + port);
}

// Why is the one-line reason `outcome` gives for `base_url` being unavailable. A transport
// error's message starts with the URL it was sent to (HttpsClient), which the caller names
// already: only what follows it is kept.
std::string Why(const std::string& base_url, const Result<HttpResult>& outcome) {
  if (outcome) {
    return ErrorFromResponse("HTTP", *outcome).message();
  }
  const std::string& message = outcome.error().message();
  if (message.rfind(base_url, 0) == 0) {
    if (const size_t colon = message.find(": ", base_url.size()); colon != std::string::npos) {
      return message.substr(colon + 2);
    }
  }
  return message;
}

}  // namespace

FailoverVerdict ClassifyOutcome(const Result<HttpResult>& outcome) {
  if (!outcome) {
    // HttpsClient: kUnavailable is a server that could not be reached or did not finish the
    // exchange; kUnauthenticated (a TLS alert about our certificate) and kInvalidArgument (our
    // own certificate or key unusable) would be the same at every replica.
    return outcome.error().code() == Code::kUnavailable ? FailoverVerdict::kTryAnother
                                                        : FailoverVerdict::kAnswer;
  }
  switch (outcome->status) {
    //= https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4
    //# The 503 (Service Unavailable) status code indicates that the server is currently unable
    //# to handle the request due to a temporary overload or scheduled maintenance
    // 502 and 504 are a proxy in front of a replica that is down or does not answer.
    case 502:
    case 503:
    case 504:
      return FailoverVerdict::kTryAnother;
  }
  return FailoverVerdict::kAnswer;
}

struct ServerList::Shared {
  explicit Shared(std::vector<std::string> u) : urls(std::move(u)) {}
  const std::vector<std::string> urls;  // never changes: read without the lock
  std::mutex mu;
  size_t current = 0;  // guarded by mu
  SwitchLog log;       // guarded by mu
};

ServerList::ServerList(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

ServerList::ServerList(std::string url)
    : shared_(std::make_shared<Shared>(std::vector<std::string>{std::move(url)})) {}

Result<ServerList> ServerList::Parse(const std::vector<std::string>& values,
                                     std::string_view option) {
  std::vector<std::string> urls;
  for (const std::string& value : values) {
    for (const std::string& item : SplitList(value, ',')) {
      if (item.empty()) {
        return Error(Code::kInvalidArgument,
                     std::string(option) + " '" + Printable(value) +
                         "' holds an empty URL; separate several URLs with single commas");
      }
      ANCHOR_ASSIGN_OR_RETURN(std::string url, BaseUrl(item, option));
      if (std::find(urls.begin(), urls.end(), url) != urls.end()) {
        return Error(Code::kInvalidArgument, std::string(option) + " " + Printable(item) +
                                                 " is given twice; name each replica once");
      }
      urls.push_back(std::move(url));
    }
  }
  if (urls.empty()) {
    return Error(Code::kInvalidArgument, "no URL given for " + std::string(option));
  }
  return ServerList(std::make_shared<Shared>(std::move(urls)));
}

Status ServerList::CheckUrls(const std::string& value) {
  ANCHOR_TRY(Parse({value}, "the URL"));  // the parser names the option
  return OkStatus();
}

const std::vector<std::string>& ServerList::urls() const { return shared_->urls; }

std::string ServerList::Current() const {
  std::lock_guard lock(shared_->mu);
  return shared_->urls[shared_->current];
}

void ServerList::Prefer(const std::string& url) {
  const auto& urls = shared_->urls;
  const auto found = std::find(urls.begin(), urls.end(), url);
  if (found != urls.end()) {
    std::lock_guard lock(shared_->mu);
    shared_->current = static_cast<size_t>(found - urls.begin());
  }
}

void ServerList::SetSwitchLog(SwitchLog log) {
  std::lock_guard lock(shared_->mu);
  shared_->log = std::move(log);
}

Result<HttpResult> ServerList::Send(const Request& request) const {
  const std::vector<std::string>& urls = shared_->urls;
  if (urls.size() == 1) {
    return request(urls.front());  // one server: its outcome, exactly as without a list
  }
  size_t start = 0;
  {
    std::lock_guard lock(shared_->mu);
    start = shared_->current;
  }
  // The lock is not held while a request runs: another thread may switch meanwhile, and the
  // last switch wins, which is still a replica that answered.
  std::vector<std::string> unavailable;
  for (size_t k = 0; k < urls.size(); ++k) {
    const size_t i = (start + k) % urls.size();
    Result<HttpResult> outcome = request(urls[i]);
    if (ClassifyOutcome(outcome) == FailoverVerdict::kAnswer) {
      if (k > 0) {
        SwitchLog log;
        bool changed = false;
        {
          std::lock_guard lock(shared_->mu);
          changed = shared_->current != i;
          shared_->current = i;
          log = shared_->log;
        }
        if (changed && log) {
          log(Join(unavailable, ", ") + "; using " + urls[i] + " now");
        }
      }
      return outcome;
    }
    unavailable.push_back(urls[i] + " is unavailable (" + Why(urls[i], outcome) + ")");
  }
  return Error(Code::kUnavailable, "none of the " + std::to_string(urls.size()) +
                                       " servers answered: " + Join(unavailable, "; "));
}

}  // namespace anchor::client
