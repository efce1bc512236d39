// SPDX-License-Identifier: Apache-2.0
// File: broker_config.cc: the listeners' certificate files from Mosquitto's configuration.
#include "plugins/mosquitto/broker_config.h"

#include <algorithm>
#include <filesystem>

#include "core/file_io.h"

namespace anchor::mqtt {
namespace {

// kMaxIncludeDepth bounds include_dir chains (Mosquitto refuses a directory including itself
// by other means; this only keeps a loop from recursing forever).
constexpr int kMaxIncludeDepth = 8;

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return {};
  }
  const size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

// ConfFilesIn lists DIR/*.conf in name order, as Mosquitto's include_dir loads them.
Result<std::vector<std::string>> ConfFilesIn(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".conf") && entry.is_regular_file(ec)) {
      files.push_back(entry.path().string());
    }
  }
  if (ec) {
    return Error(Code::kInvalidArgument, "cannot list include_dir " + dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Status ReadInto(const std::string& path, int depth, std::string& listener,
                std::vector<ListenerCertificate>& out) {
  if (depth > kMaxIncludeDepth) {
    return Error(Code::kInvalidArgument, "include_dir nested deeper than " +
                                             std::to_string(kMaxIncludeDepth) + " at " + path);
  }
  ANCHOR_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  size_t line_no = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string_view line = Trim(std::string_view(text).substr(at, end - at));
    at = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const size_t space = line.find_first_of(" \t");
    const std::string_view key = line.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : Trim(line.substr(space));
    if (key == "listener") {
      listener = "listener " + std::string(value);
    } else if (key == "certfile" && !value.empty()) {
      out.push_back(ListenerCertificate{
          std::string(value), (listener.empty() ? std::string("the default listener") : listener) +
                                  " in " + path + ":" + std::to_string(line_no)});
    } else if (key == "include_dir" && !value.empty()) {
      ANCHOR_ASSIGN_OR_RETURN(const std::vector<std::string> files,
                              ConfFilesIn(std::string(value)));
      for (const std::string& file : files) {
        ANCHOR_TRY(ReadInto(file, depth + 1, listener, out));
      }
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<ListenerCertificate>> ListenerCertificates(const std::string& config_path) {
  std::vector<ListenerCertificate> out;
  std::string listener;
  ANCHOR_TRY(ReadInto(config_path, 0, listener, out));
  return out;
}

std::optional<std::string> BrokerConfigPath() {
  auto cmdline = ReadFile("/proc/self/cmdline", 1u << 20);
  if (!cmdline) {
    return std::nullopt;
  }
  std::vector<std::string> args;
  size_t at = 0;
  while (at < cmdline->size()) {
    const size_t end = cmdline->find('\0', at);
    args.push_back(cmdline->substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end == std::string::npos ? cmdline->size() : end + 1;
  }
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == "-c" || args[i] == "--config-file") {
      return args[i + 1];
    }
  }
  return std::nullopt;
}

}  // namespace anchor::mqtt
