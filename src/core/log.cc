// SPDX-License-Identifier: Apache-2.0
// File: log.cc: rendering of text and JSON lines; spdlog's stderr sink writes them.
#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace anchor::log {
namespace {

// Now is UTC with milliseconds: "2026-11-30T09:00:00.123Z".
std::string Now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

// TextValue quotes `v` when it could be read as more than one value, escaping quotes,
// backslashes and control characters.
std::string TextValue(std::string_view v) {
  bool plain = !v.empty();
  for (const char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        c == 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    return std::string(v);
  }
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string NumberText(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", d);
  return buf;
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "text") {
    return Format::kText;
  }
  if (name == "json") {
    return Format::kJson;
  }
  return Error(Code::kInvalidArgument,
               "log format '" + std::string(name) + "' is not one of: text, json");
}

Logger::Logger(std::string program, Format format, RepeatFilter::Options repeats)
    : program_(std::move(program)),
      format_(format),
      repeats_(repeats),
      overall_({.burst = kOverallBurst, .window = repeats.window, .max_keys = 1}),
      sink_(std::make_shared<spdlog::logger>(program_,
                                             std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
  sink_->set_pattern("%v");  // the line is rendered here, time included
  sink_->flush_on(spdlog::level::trace);
}

Logger::~Logger() { FlushSummaries(); }

std::string Logger::Render(Level level, std::string_view message,
                           const std::vector<Field>& fields) const {
  if (format_ == Format::kJson) {
    nlohmann::ordered_json j;
    j["time"] = Now();
    j["program"] = program_;
    j["level"] = LevelName(level);
    j["msg"] = message;
    for (const Field& f : fields) {
      std::visit([&](const auto& v) { j[f.name] = v; }, f.value);
    }
    // Bytes that are not UTF-8 (a client's path) are replaced, never a reason to lose the line.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = Now() + " " + program_ + ": ";
  if (level != Level::kInfo) {
    out += std::string(LevelName(level)) + ": ";
  }
  out += message;
  for (const Field& f : fields) {
    out += " " + f.name + "=";
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      out += TextValue(*s);
    } else if (const auto* i = std::get_if<int64_t>(&f.value)) {
      out += std::to_string(*i);
    } else {
      out += NumberText(std::get<double>(f.value));
    }
  }
  return out;
}

void Logger::Write(Level level, std::string_view message, const std::vector<Field>& fields) {
  const std::string line = Render(level, message, fields);
  sink_->info("{}", line);
}

void Logger::WriteLimited(std::string_view key, Level level, std::string_view message,
                          const std::vector<Field>& fields) {
  const auto now = std::chrono::steady_clock::now();
  const RepeatFilter::Verdict verdict = repeats_.Admit(key, now);
  Summaries(verdict.summaries);
  if (!verdict.write) {
    return;
  }
  // A line its key lets through may still be held back by the overall limit, and is then
  // counted there (never twice).
  const RepeatFilter::Verdict overall = overall_.Admit("(any)", now);
  Summaries(overall.summaries);
  if (overall.write) {
    Write(level, message, fields);
  }
}

void Logger::FlushSummaries() {
  const auto now = std::chrono::steady_clock::now();
  Summaries(repeats_.Flush(now));
  Summaries(overall_.Flush(now));
}

void Logger::WriteEndedSummaries() {
  const auto now = std::chrono::steady_clock::now();
  Summaries(repeats_.Ended(now));
  Summaries(overall_.Ended(now));
}

void Logger::Summaries(const std::vector<RepeatFilter::Summary>& summaries) {
  for (const RepeatFilter::Summary& s : summaries) {
    Write(Level::kWarning, std::to_string(s.suppressed) + " similar lines suppressed",
          {{"similar", s.key}, {"suppressed", static_cast<int64_t>(s.suppressed)}});
  }
}

}  // namespace anchor::log
