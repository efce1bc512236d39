// SPDX-License-Identifier: Apache-2.0
// File: error.h: the one error type of anchor, `Result<T>` and the propagation macros.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace anchor {

// SourceLocation is where an `Error` was made. It stands in for SourceLocation, which
// clang 14 (the fuzzing compiler on Debian 12) cannot provide with libstdc++ 12.
class SourceLocation final {
 public:
  static constexpr SourceLocation current(const char* file = __builtin_FILE(),
                                          unsigned line = __builtin_LINE()) {
    return SourceLocation(file, line);
  }
  constexpr const char* file_name() const { return file_; }
  constexpr unsigned line() const { return line_; }

 private:
  constexpr SourceLocation(const char* file, unsigned line) : file_(file), line_(line) {}
  const char* file_;
  unsigned line_;
};

// Code says what the caller should do next (STYLE.md 4.2); core/exit_codes.h maps it to the exit
// codes of every program and http/ to an HTTP status, each in one place.
enum class Code {
  kOk,
  kInvalidArgument,   // the input is wrong: fix it, do not retry
  kUnauthenticated,   // no or bad credentials
  kPermissionDenied,  // policy refuses
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // the state is wrong (CA missing, CA expired): fix the state
  kAborted,             // a transaction lost a race: restart it
  kUnavailable,
  kUnimplemented,
  kInternal,
  // The input is wrong in a way HTTP names with a status of its own (http::StatusFor): each is a
  // kind of kInvalidArgument, kept apart so that the status comes from the one table.
  kContentTooLarge,       // a body larger than the receiver takes: send less
  kUnsupportedMediaType,  // content in a format the receiver does not take: send another
  kUriTooLong,            // a request target longer than the receiver reads
  kHeaderTooLarge,        // request header fields larger than the receiver reads
};

// kAllCodes is every code once. The tables that map codes (core/exit_codes.h, http::kStatuses)
// must each have a row for every one of them; their tests walk this list.
inline constexpr Code kAllCodes[] = {
    Code::kOk,
    Code::kInvalidArgument,
    Code::kUnauthenticated,
    Code::kPermissionDenied,
    Code::kNotFound,
    Code::kAlreadyExists,
    Code::kFailedPrecondition,
    Code::kAborted,
    Code::kUnavailable,
    Code::kUnimplemented,
    Code::kInternal,
    Code::kContentTooLarge,
    Code::kUnsupportedMediaType,
    Code::kUriTooLong,
    Code::kHeaderTooLarge,
};

// CodeName returns the stable lower-case name of `code`, e.g. "invalid_argument".
std::string_view CodeName(Code code);

// Error is a code, a one-line message for the user and an optional detail for logs (for
// example the drained OpenSSL error queue).
class Error final {
 public:
  Error(Code code, std::string message, std::string detail = {},
        SourceLocation where = SourceLocation::current());

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& detail() const { return detail_; }
  const SourceLocation& where() const { return where_; }

  // Prefixed returns a copy whose message starts with `context: `, keeping the code, so a
  // caller can say which file or field the failure is about.
  Error Prefixed(std::string_view context) const;

 private:
  Code code_;
  std::string message_;
  std::string detail_;
  SourceLocation where_;
};

// Result holds a `T` or an `Error`. It is shaped like std::expected<T, Error> so it can become
// an alias once the project moves to C++23.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const { assert(has_value()); }
  const Error& error() const {
    assert(!has_value());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace anchor

#define ANCHOR_CONCAT_INNER_(a, b) a##b
#define ANCHOR_CONCAT_(a, b) ANCHOR_CONCAT_INNER_(a, b)

// ANCHOR_TRY(expr) returns the error of a failed `Status` or `Result` expression.
#define ANCHOR_TRY(expr)                   \
  do {                                     \
    auto&& anchor_try_result_ = (expr);    \
    if (!anchor_try_result_.has_value()) { \
      return anchor_try_result_.error();   \
    }                                      \
  } while (false)

// ANCHOR_ASSIGN_OR_RETURN(decl, expr) declares `decl` from a successful `Result`, or returns
// its error.
#define ANCHOR_ASSIGN_OR_RETURN(decl, expr) \
  ANCHOR_ASSIGN_OR_RETURN_IMPL_(ANCHOR_CONCAT_(anchor_result_, __LINE__), decl, expr)
#define ANCHOR_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.has_value()) {                              \
    return tmp.error();                                \
  }                                                    \
  decl = std::move(tmp).value()

// ANCHOR_CHECK aborts, also in release builds, when an invariant that must hold is broken.
#define ANCHOR_CHECK(cond)                                                         \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      ::anchor::internal::CheckFailed(#cond, ::anchor::SourceLocation::current()); \
    }                                                                              \
  } while (false)

namespace anchor::internal {
[[noreturn]] void CheckFailed(const char* condition, SourceLocation where);
}  // namespace anchor::internal
