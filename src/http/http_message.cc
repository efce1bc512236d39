// SPDX-License-Identifier: Apache-2.0
// File: http_message.cc: header lookup and the code-to-status mapping.
#include "http/http_message.h"

#include <algorithm>
#include <charconv>

#include "core/text.h"

namespace anchor::http {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ToLower(a) < ToLower(b);
}

std::string Request::Header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Request::Path() const { return target.substr(0, target.find('?')); }

std::optional<std::string> Request::Query(std::string_view name) const {
  const size_t q = target.find('?');
  if (q == std::string::npos) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    //= https://url.spec.whatwg.org/#urlencoded-parsing
    //# Let nameString and valueString be the result of running UTF-8 decode without BOM on the
    //# percent-decoding of name and value, respectively.
    if (PercentDecode(pair.substr(0, eq), true) == name) {
      return PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    }
  }
  return std::nullopt;
}

std::vector<std::string> Request::QueryNames() const {
  std::vector<std::string> names;
  const size_t q = target.find('?');
  std::string_view rest =
      q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (!pair.empty()) {
      names.push_back(PercentDecode(pair.substr(0, pair.find('=')), true).value_or(""));
    }
  }
  return names;
}

Status OnlyQueryParameters(const Request& request, const std::vector<std::string>& known) {
  std::vector<std::string> seen;
  for (const std::string& name : request.QueryNames()) {
    // Query reads the first of a repeated parameter: the rest would be ignored without a word.
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return Error(Code::kInvalidArgument,
                   "query parameter '" + name + "' is given twice; give it once");
    }
    seen.push_back(name);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      if (known.empty()) {
        return Error(Code::kInvalidArgument, "unknown query parameter '" + name +
                                                 "'; this endpoint takes none (send the "
                                                 "arguments in the body)");
      }
      return Error(Code::kInvalidArgument,
                   "unknown query parameter '" + name + "'; expected " + Join(known, ", "));
    }
  }
  return OkStatus();
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const int hi = i + 2 < text.size() ? HexDigitValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigitValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::optional<int64_t> ParseCount(std::string_view text) {
  int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return std::nullopt;
  }
  return v;
}

int StatusFor(Code code) {
  for (const StatusRow& row : kStatuses) {
    if (row.code == code) {
      return row.status;
    }
  }
  return 500;
}

Code CodeForStatus(int status) {
  switch (status) {
    // 408 and 429 are about this attempt, not the request: send it again later.
    case 408:
    case 429:
      return Code::kUnavailable;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kFailedPrecondition;
    case 501:
      return Code::kUnimplemented;
    case 500:
      return Code::kInternal;
  }
  if (status >= 500) {
    return Code::kUnavailable;
  }
  return status >= 400 ? Code::kInvalidArgument : Code::kOk;
}

Response TextResponse(int status, std::string line) {
  return Response{status, "text/plain", {}, std::move(line) + "\n"};
}

Response ErrorResponse(const Error& error) {
  Response r = TextResponse(StatusFor(error.code()),
                            error.code() == Code::kInternal ? "internal error" : error.message());
  if (r.status == 401) {
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"anchor EST\"");
  }
  if (r.status == 503) {
    r.headers.emplace_back("Retry-After", "5");
  }
  if (r.status >= 500) {
    r.log = error.message();
    if (!error.detail().empty()) {
      r.log += " (" + error.detail().substr(0, error.detail().find('\n')) + ")";
    }
  }
  return r;
}

Response Respond(Result<Response> outcome) {
  if (!outcome) {
    return ErrorResponse(outcome.error());
  }
  return std::move(outcome).value();
}

}  // namespace anchor::http
