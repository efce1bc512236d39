// SPDX-License-Identifier: Apache-2.0
// File: https_client.cc: libcurl easy handle, TLS settings, errors.
#include "client/https_client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <mutex>

#include "core/file_io.h"
#include "crypto/tls_identity.h"
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

// AlertSlot is the SSL_CTX ex_data index where OnSslCtx leaves the client's Impl, for OnInfo.
int AlertSlot() {
  static const int slot = ::SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

// IsCertificateAlert is true for the alerts a server sends about the client's certificate: the
// server will not take it, and no retry changes that (RFC 8446 6.2).
bool IsCertificateAlert(int description) {
  switch (description) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return true;
  }
  return false;
}

}  // namespace

struct HttpsClient::Impl {
  TlsOptions options;
  CurlPtr handle;
  char error[CURL_ERROR_SIZE] = {};
  // alert is the fatal TLS alert the server sent during the last request; 0: none.
  int alert = 0;
  // chain is the client certificate chain when TlsOptions::client_key is set: OnSslCtx puts it
  // and the key on each connection's SSL_CTX, which libcurl cannot do with a key of no file.
  std::vector<crypto::Certificate> chain;

  // OnSslCtx is libcurl's hook on each new connection's SSL_CTX: it asks OpenSSL to report
  // alerts, so that a refused client certificate can be told from a server that is down.
  static CURLcode OnSslCtx(CURL*, void* ssl_ctx, void* self) {
    auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
    ::SSL_CTX_set_ex_data(ctx, AlertSlot(), self);
    ::SSL_CTX_set_info_callback(ctx, &OnInfo);
    auto* impl = static_cast<Impl*>(self);
    if (impl->options.client_key) {
      if (const Status st = crypto::UseTlsIdentity(ctx, impl->chain, *impl->options.client_key);
          !st) {
        std::snprintf(impl->error, sizeof impl->error, "%s", st.error().message().c_str());
        return CURLE_SSL_CERTPROBLEM;
      }
    }
    return CURLE_OK;
  }
  static void OnInfo(const SSL* ssl, int where, int value) {
    // For SSL_CB_READ_ALERT, `value` is the alert's level (high byte) and description. Only
    // alerts read from the server count: SSL_CB_ALERT is also set for the ones this client
    // sends (its own "unknown CA" about a server it cannot verify).
    if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT || (value >> 8) != SSL3_AL_FATAL) {
      return;
    }
    auto* self = static_cast<Impl*>(::SSL_CTX_get_ex_data(::SSL_get_SSL_CTX(ssl), AlertSlot()));
    if (self != nullptr) {
      self->alert = value & 0xff;
    }
  }

  // OnProgress is libcurl's progress callback (at least once a second while a transfer waits):
  // non-zero ends the transfer (CURLE_ABORTED_BY_CALLBACK) once TlsOptions::cancel is true.
  static int OnProgress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
  }

  // TransportError is the error of a request that got no HTTP answer: kUnauthenticated when the
  // server refused the client certificate with a TLS alert (expired, revoked, unknown: a person
  // must act), kInvalidArgument when the local certificate or key cannot be used, else
  // kUnavailable (unreachable, reset, timed out: a later attempt may succeed).
  Error TransportError(const std::string& url, CURLcode rc) const {
    const std::string detail = error[0] != '\0' ? error : ::curl_easy_strerror(rc);
    if (alert != 0 && IsCertificateAlert(alert)) {
      return Error(Code::kUnauthenticated,
                   url + ": the server refused this client certificate (TLS alert \"" +
                       ::SSL_alert_desc_string_long(alert) + "\")",
                   detail);
    }
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      // Our side refused the server: say so, not that the server refused us. Still
      // kUnavailable: a fleet's agents must come back by themselves once the server's
      // certificate is right again.
      return Error(Code::kUnavailable,
                   url +
                       ": this client does not accept the server's certificate (check the "
                       "host name and --ca-cert or --fingerprint): " +
                       detail,
                   detail);
    }
    if (rc == CURLE_SSL_CERTPROBLEM) {
      return Error(Code::kInvalidArgument,
                   url + ": the client certificate or key cannot be used: " + detail);
    }
    return Error(Code::kUnavailable, url + ": " + detail);
  }
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
  if (!o.cert_file.empty() && o.client_key) {
    ANCHOR_ASSIGN_OR_RETURN(const std::string pem, ReadFile(o.cert_file));
    auto chain = crypto::Certificate::ParseAll(pem);
    if (!chain || chain->empty()) {
      return Error(Code::kInvalidArgument, o.cert_file + ": holds no PEM certificate");
    }
    impl->chain = std::move(chain).value();
  } else if (!o.cert_file.empty()) {
    ::curl_easy_setopt(h, CURLOPT_SSLCERT, o.cert_file.c_str());
    ::curl_easy_setopt(h, CURLOPT_SSLKEY, o.key_file.c_str());
  }
  ::curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &Impl::OnSslCtx);
  ::curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, impl.get());  // Impl stays put when the client moves
  ::curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, AppendBody);
  ::curl_easy_setopt(h, CURLOPT_USERAGENT, "anchor/0.1");
  if (o.cancel != nullptr) {
    ::curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    ::curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &Impl::OnProgress);
    ::curl_easy_setopt(h, CURLOPT_XFERINFODATA, o.cancel);
  }
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
  impl_->alert = 0;
  const CURLcode rc = ::curl_easy_perform(h);
  ::curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);  // `list` dies here
  if (rc != CURLE_OK) {
    return impl_->TransportError(url, rc);
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
               what + ": " + std::to_string(result.status) + (reason.empty() ? "" : " " + reason));
}

std::string JoinUrl(const std::string& base, const std::string& path) {
  if (!base.empty() && base.back() == '/') {
    return base.substr(0, base.size() - 1) + path;
  }
  return base + path;
}

}  // namespace anchor::client
