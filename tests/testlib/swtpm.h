// SPDX-License-Identifier: Apache-2.0
// File: swtpm.h: a software TPM 2.0 (swtpm) for a test: a fresh TPM in a directory of the test's,
// on loopback TCP ports (the command port and port + 1 for control), stopped by its PID.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "core/subprocess.h"

namespace anchor::testing {

// Swtpm is a running swtpm; it is stopped when the object goes.
class Swtpm final {
 public:
  // Start runs swtpm on a state directory `dir` (made empty by the caller: a new TPM, started
  // and cleared by swtpm itself, with no resource manager) and waits until it answers. nullopt
  // when swtpm is not installed; `why` then says so. With `port`, on that port (and port + 1):
  // the same TPM started again on the state it left in `dir`.
  static std::optional<Swtpm> Start(const std::string& dir, std::string* why, int port_wanted = 0) {
    if (FindProgram("swtpm").empty()) {
      *why = "swtpm is not installed (apt-get install swtpm swtpm-tools)";
      return std::nullopt;
    }
    for (int attempt = 0; attempt < 10; ++attempt) {
      const int port = port_wanted > 0 ? port_wanted : FreePortPair();
      if (port <= 0) {
        continue;
      }
      const std::string p = std::to_string(port), c = std::to_string(port + 1);
      auto process =
          Subprocess::Start({.argv = {"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + dir,
                                      "--server", "type=tcp,port=" + p + ",bindaddr=127.0.0.1",
                                      "--ctrl", "type=tcp,port=" + c + ",bindaddr=127.0.0.1",
                                      "--flags", "not-need-init,startup-clear"},
                             .output_file = dir + "/swtpm.log"});
      if (!process) {
        *why = process.error().message();
        return std::nullopt;
      }
      // swtpm listens once it has started the TPM; a port taken meanwhile ends it.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (process->Running() && std::chrono::steady_clock::now() < deadline) {
        if (Accepts(port + 1)) {
          return Swtpm(std::move(process).value(), port);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    *why = "swtpm did not start (see its swtpm.log)";
    return std::nullopt;
  }

  // Tcti is the tpm2-tss TCTI configuration that reaches it.
  std::string Tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  void Stop() { process_.Stop(); }

 private:
  Swtpm(Subprocess process, int port) : process_(std::move(process)), port_(port) {}

  // FreePortPair is a port P such that P and P + 1 were free a moment ago.
  static int FreePortPair() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    ::close(s);
    if (port <= 0 || port >= 65535 || !Bindable(port) || !Bindable(port + 1)) {
      return -1;
    }
    return port;
  }
  static bool Bindable(int port) { return OnLoopback(port, /*connect=*/false); }
  // Accepts probes the control port: the command port serves one client at a time, and a probe
  // there would be that client.
  static bool Accepts(int port) { return OnLoopback(port, /*connect=*/true); }
  // OnLoopback binds (is `port` free?) or connects (does something listen?) on 127.0.0.1.
  static bool OnLoopback(int port, bool connect) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto* addr = reinterpret_cast<sockaddr*>(&a);
    const bool ok = (connect ? ::connect(s, addr, sizeof a) : ::bind(s, addr, sizeof a)) == 0;
    ::close(s);
    return ok;
  }

  Subprocess process_;
  int port_;
};

}  // namespace anchor::testing
