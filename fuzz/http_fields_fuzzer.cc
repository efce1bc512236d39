// SPDX-License-Identifier: Apache-2.0
// File: http_fields_fuzzer.cc: untrusted header values and request heads through http/'s RFC 9110
// and RFC 9112 parsers (media types, lists, credentials, query strings, framing checks).
#include <string>
#include <string_view>

#include "http/header_fields.h"
#include "http/request_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)anchor::http::ParseMediaType(text);
  (void)anchor::http::SplitList(text);
  (void)anchor::http::ParseCredentials(text);
  anchor::http::Request request;
  request.target = anchor::http::OriginForm(text);
  (void)request.Query("since");
  anchor::http::RequestHead head;
  head.target = request.target;
  head.transfer_encoding = std::string(text);
  head.host_fields = size % 3;
  head.version = size % 2 == 0 ? 11 : 10;
  (void)anchor::http::CheckRequestHead(head);  // must not crash, leak or abort; result ignored
  return 0;
}
