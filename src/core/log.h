// SPDX-License-Identifier: Apache-2.0
// File: log.h: structured log lines to stderr through spdlog, as text or one JSON object per
// line, with repeated lines rate-limited (RepeatFilter). A target of its own (anchor::log), so
// that core needs neither spdlog nor a JSON library.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/repeat_filter.h"

namespace spdlog {
class logger;
}

namespace anchor::log {

// Format is how lines are written: text for people, JSON (one object per line) for machines.
enum class Format { kText, kJson };

// ParseFormat reads "text" or "json"; anything else is kInvalidArgument naming both.
Result<Format> ParseFormat(std::string_view name);

enum class Level { kInfo, kWarning, kError };

// Field is one named value of a line. Numbers stay numbers in JSON.
struct Field {
  std::string name;
  std::variant<std::string, int64_t, double> value;
};

// Logger writes the lines of one program ("anchor serve") to stderr. Text lines read
//   2026-11-30T09:00:00.123Z anchor serve: MESSAGE name=value name="a value with spaces"
// (values quoted and escaped when they hold a space, a quote, '=' or a control character, so a
// client-chosen string cannot forge a field or a line); JSON lines are objects with "time",
// "program", "level", "msg" and the fields. Thread-safe: spdlog's stderr sink writes each line
// in one call under its mutex, so lines of concurrent threads never mix.
class Logger final {
 public:
  Logger(std::string program, Format format, RepeatFilter::Options repeats = {});
  // The destructor writes the summaries of lines still suppressed.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Write writes one line.
  void Write(Level level, std::string_view message, const std::vector<Field>& fields = {});
  // WriteLimited writes one line unless too many similar ones (same `key`) came lately, or too
  // many lines of any key (kOverallBurst in a window): what is held back is said later in one
  // line "N similar lines suppressed" with the key ("(any)" for the overall limit).
  void WriteLimited(std::string_view key, Level level, std::string_view message,
                    const std::vector<Field>& fields = {});
  // FlushSummaries writes the pending "suppressed" lines now.
  void FlushSummaries();
  // WriteEndedSummaries writes the "suppressed" lines of windows that have ended (call it from a
  // periodic timer, so that a storm that stopped is summed up without waiting for another line).
  void WriteEndedSummaries();

  // Render is the line Write would write, without its newline (for tests).
  std::string Render(Level level, std::string_view message, const std::vector<Field>& fields) const;

 private:
  void Summaries(const std::vector<RepeatFilter::Summary>& summaries);

  const std::string program_;
  const Format format_;
  // kOverallBurst bounds the rate-limited lines of all keys together, per window: keys holding
  // client input (a parameter's name in an error) must not escape the limit by varying.
  static constexpr size_t kOverallBurst = 100;
  RepeatFilter repeats_;
  RepeatFilter overall_;
  std::shared_ptr<spdlog::logger> sink_;
};

}  // namespace anchor::log
