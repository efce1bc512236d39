// SPDX-License-Identifier: Apache-2.0
// File: demo_cmd.cc: `anchor demo [--keep]`: registers the command and finds the programs it
// runs beside this one (the build tree and an installed tree lay them out differently); the
// demo itself is demo/.
#include <unistd.h>

#include <filesystem>

#include "cli/context.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "demo/demo.h"

namespace anchor::cli {
namespace {

std::string SelfPath() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.string();
}

// FirstExisting returns the first of `dir`/candidate that exists, or an empty string.
std::string FirstExisting(const std::filesystem::path& dir,
                          std::initializer_list<const char*> candidates) {
  for (const char* c : candidates) {
    const auto path = (dir / c).lexically_normal();
    if (FileExists(path.string())) {
      return path.string();
    }
  }
  return "";
}

}  // namespace

void RegisterDemo(CLI::App& app, Context& /*ctx: the demo makes a CA home of its own*/,
                  Action& action) {
  auto o = std::make_shared<demo::DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "the whole system on loopback: CA, anchor serve, Mosquitto with anchor's plugin, two "
      "devices enrolled by anchor-agent, ACLs, live revocation, mTLS hello");
  cmd->add_flag("--keep", o->keep, "leave it running and print the commands to use it by hand");
  cmd->add_option("--dir", o->dir,
                  "build it in this new or empty directory (default: a temporary one)");
  cmd->add_option("--agent", o->agent, "the anchor-agent binary (default: beside anchor)");
  cmd->add_option("--plugin", o->plugin, "anchor_mosquitto.so (default: beside anchor)");
  cmd->add_option("--mosquitto", o->mosquitto, "the mosquitto binary (default: $PATH, /usr/sbin)");
  cmd->add_flag("--hardware", o->hardware,
                "keep the CA's keys in a PKCS#11 token (SoftHSM2) made for the demo, never "
                "extractable, and add client_t, a device whose key is made in a TPM 2.0 (swtpm)");
  cmd->callback([&action, o] {
    action = [o]() -> Status {
      demo::DemoOptions options = *o;
      options.anchor = SelfPath();
      const std::filesystem::path dir = std::filesystem::path(options.anchor).parent_path();
      if (options.agent.empty()) {
        options.agent = FirstExisting(dir, {"anchor-agent"});
      }
      if (options.plugin.empty()) {
        options.plugin =
            FirstExisting(dir, {"../plugins/mosquitto/anchor_mosquitto.so",
                                "../lib/anchor/anchor_mosquitto.so", "anchor_mosquitto.so"});
      }
      return demo::RunDemo(std::move(options), SystemClock());
    };
  });
}

}  // namespace anchor::cli
