// SPDX-License-Identifier: Apache-2.0
// File: https_client.cc: libcurl easy handle, TLS settings, errors.
#include "client/https_client.h"

#include <curl/curl.h>

#include <mutex>

#include "http/http_message.h"

namespace anchor::client {
namespace {

struct CurlDeleter {
  void operator()(CURL* h) const { ::curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { ::curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { ::curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// FirstLine keeps a server's reason to one line, bounded, for an error message.
std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 300) {
    line = line.substr(0, 300) + "...";
  }
  return line;
}

}  // namespace

struct HttpsClient::Impl {
  TlsOptions options;
  CurlPtr handle;
  char error[CURL_ERROR_SIZE] = {};
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::HttpsClient(HttpsClient&&) noexcept = default;
HttpsClient& HttpsClient::operator=(HttpsClient&&) noexcept = default;
HttpsClient::~HttpsClient() = default;

Result<HttpsClient> HttpsClient::Create(TlsOptions options) {
  if (options.verify_server && options.ca_pem.empty()) {
    return Error(Code::kInvalidArgument,
                 "no CA to verify the server with: give --ca-cert FILE or --fingerprint SHA256");
  }
  GlobalInit();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handle.reset(::curl_easy_init());
  if (!impl->handle) {
    return Error(Code::kInternal, "curl_easy_init failed");
  }
  CURL* h = impl->handle.get();
  const TlsOptions& o = impl->options;
  ::curl_easy_setopt(h, CURLOPT_ERRORBUFFER, impl->error);
  ::curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  ::curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, o.allow_plain_http ? "https,http" : "https");
  if (o.fresh_connection) {
    ::curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    ::curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    ::curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  }
  ::curl_easy_setopt(h, CURLOPT_TIMEOUT, o.timeout_seconds);
  ::curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, std::min(o.timeout_seconds, 10L));
  ::curl_easy_setopt(h, CURLOPT_SSLVERSION,
                     o.allow_tls12 ? CURL_SSLVERSION_TLSv1_2 : CURL_SSLVERSION_TLSv1_3);
  ::curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o.verify_server ? 1L : 0L);
  //= DESIGN.md: every client verifies the server's name.
  ::curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o.verify_server ? 2L : 0L);
  if (!o.ca_pem.empty()) {
    curl_blob ca{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_COPY};
    ::curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    ::curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);  // only the given CA, not the system store
  }
  if (!o.cert_file.empty()) {
    ::curl_easy_setopt(h, CURLOPT_SSLCERT, o.cert_file.c_str());
    ::curl_easy_setopt(h, CURLOPT_SSLKEY, o.key_file.c_str());
  }
  ::curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, AppendBody);
  ::curl_easy_setopt(h, CURLOPT_USERAGENT, "anchor/0.1");
  return HttpsClient(std::move(impl));
}

Result<HttpResult> HttpsClient::Get(const std::string& url,
                                    const std::vector<std::string>& headers) {
  return Perform(url, nullptr, headers);
}

Result<HttpResult> HttpsClient::Post(const std::string& url, const std::string& content_type,
                                     const std::string& body,
                                     const std::vector<std::string>& headers) {
  std::vector<std::string> all = headers;
  all.push_back("Content-Type: " + content_type);
  return Perform(url, &body, all);
}

Result<HttpResult> HttpsClient::Perform(const std::string& url, const std::string* body,
                                        const std::vector<std::string>& headers) {
  CURL* h = impl_->handle.get();
  HttpResult result;
  SlistPtr list;
  for (const std::string& header : headers) {
    // Appending returns the list's head, the one `list` holds once it is non-empty.
    curl_slist* head = ::curl_slist_append(list.get(), header.c_str());
    if (head == nullptr) {
      return Error(Code::kInternal, "curl_slist_append failed");
    }
    if (!list) {
      list.reset(head);
    }
  }
  ::curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  ::curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  ::curl_easy_setopt(h, CURLOPT_WRITEDATA, &result.body);
  if (body != nullptr) {
    ::curl_easy_setopt(h, CURLOPT_POST, 1L);
    ::curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
    ::curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    ::curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  impl_->error[0] = '\0';
  const CURLcode rc = ::curl_easy_perform(h);
  ::curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);  // `list` dies here
  if (rc != CURLE_OK) {
    const std::string detail = impl_->error[0] != '\0' ? impl_->error : ::curl_easy_strerror(rc);
    return Error(Code::kUnavailable, url + ": " + detail);
  }
  ::curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
  const char* type = nullptr;
  ::curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
  result.content_type = type != nullptr ? type : "";
  return result;
}

Error ErrorFromResponse(const std::string& what, const HttpResult& result) {
  const std::string reason = FirstLine(result.body);
  return Error(http::CodeForStatus(static_cast<int>(result.status)),
               what + ": " + std::to_string(result.status) +
                   (reason.empty() ? "" : " " + reason));
}

std::string JoinUrl(const std::string& base, const std::string& path) {
  if (!base.empty() && base.back() == '/') {
    return base.substr(0, base.size() - 1) + path;
  }
  return base + path;
}

}  // namespace anchor::client
