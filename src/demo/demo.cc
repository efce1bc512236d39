// SPDX-License-Identifier: Apache-2.0
// File: demo.cc: `anchor demo`. Every program the tutorials run by hand is run here for real
// (anchor serve, anchor-agent, Mosquitto with anchor's plugin, mosquitto_pub/sub, curl), each
// started by its PID and stopped by it. Commands are printed as a user would type them in the
// demo directory, with ANCHOR_HOME set to its CA.
#include "demo/demo.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <thread>

#include "ca/serial_number.h"
#include "client/mqtt_session.h"
#include "core/file_io.h"
#include "core/subprocess.h"
#include "core/text.h"
#include "crypto/cert_builder.h"
#include "crypto/crypto_rng.h"
#include "crypto/key_file.h"
#include "crypto/tls_identity.h"
#include "crypto/tpm2_key.h"

namespace anchor::demo {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

// kStartTimeout bounds the wait for a program to say it is ready. A start takes well under a
// second here, but a sanitizer build on a loaded 2-core machine was seen to take over 10 s for
// Mosquitto to load the plugin and reach the CA; waiting longer costs nothing when all is well.
constexpr milliseconds kStartTimeout{30000};
constexpr milliseconds kCommandTimeout{30000};
// kDropAim is the issue's promise: a revoked device is disconnected within a second.
constexpr milliseconds kDropAim{1000};
constexpr const char* kPayload = R"({"temperature": 21.5})";
constexpr const char* kDevices[] = {"client_a", "client_b"};

// kDemoAcl is the broker's rules: anchor's default roles, and the seed's pair.
constexpr const char* kDemoAcl =
    R"(# Who may publish and subscribe where, by the certificate's identity.
[roles]
device = "urn:anchor:device:{cn}"
service = "urn:anchor:service:{cn}"

[[allow]]
role = "device"
publish = ["devices/{cn}/#"]
subscribe = ["commands/{cn}/#"]

[[allow]]
role = "service"
subscribe = ["devices/+/telemetry"]
publish = ["commands/+/#"]

# The seed's pair: client_b reads what client_a publishes.
[[allow]]
cn = "client_b"
subscribe = ["devices/client_a/#"]
)";

long Elapsed(Steady::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Steady::now() - since).count());
}

Error StepFailed(const std::string& why) { return Error(Code::kFailedPrecondition, why); }

// Console prints the steps: a bold numbered title, the commands and their output indented,
// and a check mark or a cross with the step's time.
class Console final {
 public:
  Console() : color_(::isatty(STDOUT_FILENO) != 0) {}

  void Begin(const std::string& title) {
    ++step_;
    started_ = Steady::now();
    std::printf("\n%s%d. %s%s\n", Bold(), step_, title.c_str(), Plain());
    std::fflush(stdout);
  }
  void Command(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& a : argv) {
      const bool quote = a.empty() || a.find_first_of(" #'\"{}$*;&?<>|") != std::string::npos;
      line += (line.empty() ? "" : " ") + (quote ? "'" + a + "'" : a);
    }
    Line("$ " + line);
  }
  void Line(const std::string& text) {
    size_t start = 0;
    while (start < text.size()) {
      const size_t end = std::min(text.find('\n', start), text.size());
      std::printf("   %s\n", text.substr(start, end - start).c_str());
      start = end + 1;
    }
    std::fflush(stdout);
  }
  void Pass() {
    std::printf("   %s✓%s %ld ms\n", Green(), Plain(), Elapsed(started_));
    std::fflush(stdout);
  }
  void Fail(const Error& e) {
    std::printf("   %s✗%s %s\n", Red(), Plain(), e.message().c_str());
    std::fflush(stdout);
  }
  void Done(long ms) {
    std::printf("\n%sAll %d steps passed%s in %.1f s.\n", Green(), step_, Plain(), ms / 1000.0);
  }
  int steps() const { return step_; }

 private:
  const char* Bold() const { return color_ ? "\033[1m" : ""; }
  const char* Green() const { return color_ ? "\033[32m" : ""; }
  const char* Red() const { return color_ ? "\033[31m" : ""; }
  const char* Plain() const { return color_ ? "\033[0m" : ""; }
  bool color_;
  int step_ = 0;
  Steady::time_point started_;
};

std::string UserName() {
  const struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

// FreeLoopbackPort returns a port of 127.0.0.1 that nothing listens on now: Mosquitto cannot
// report the port it was given for port 0.
Result<int> FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) {
    ::close(fd);
  }
  if (!ok) {
    return Error(Code::kUnavailable, "no free port on 127.0.0.1");
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

// OnLoopback binds (`connect` false: is the port free?) or connects (true: does something
// listen?) a TCP socket to `port` of 127.0.0.1, and tells whether it could.
bool OnLoopback(int port, bool connect) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const auto* a = reinterpret_cast<sockaddr*>(&addr);
  const bool ok =
      fd >= 0 && (connect ? ::connect(fd, a, sizeof addr) : ::bind(fd, a, sizeof addr)) == 0;
  if (fd >= 0) {
    ::close(fd);
  }
  return ok;
}

class Demo final {
 public:
  Demo(DemoOptions options, const Clock& clock) : o_(std::move(options)), clock_(clock) {}
  ~Demo() { StopAll(); }
  Demo(const Demo&) = delete;
  Demo& operator=(const Demo&) = delete;

  Status Run();

 private:
  struct Process {
    std::string name;
    Subprocess process;
  };

  Status Step(const std::string& title, const std::function<Status()>& body);
  Status Prepare();
  Status StartCa();
  Status StartBroker();
  Status EnrollDevices();
  Status PublishAndReceive();
  Status RefuseRogues();
  Status DenyForeignTopic();
  Status ShowTlsRefusals(size_t count);
  Status RevokeAndDrop();
  Status HttpsHello();
  void PrintKeepInstructions();
  void StopAll();

  std::string Abs(const std::string& relative) const { return dir_ + "/" + relative; }
  std::vector<std::string> Env() const {
    std::vector<std::string> env{"ANCHOR_HOME=" + Abs("ca")};
    if (o_.hardware) {
      env.push_back("SOFTHSM2_CONF=" + Abs("hsm/softhsm2.conf"));  // the demo's own token
    }
    return env;
  }
  Status PrepareHardware();
  Status MakeToken();
  Status StartTpm();
  Status TpmDevice();
  std::string Program(const std::string& name) const;
  Result<CommandResult> Exec(const std::vector<std::string>& argv);
  Result<std::string> ExecOk(const std::vector<std::string>& argv);
  Status ExecRefused(const std::vector<std::string>& argv, const std::string& expect);
  Result<Subprocess*> Spawn(const std::string& name, const std::vector<std::string>& argv);
  Result<Steady::time_point> WaitForText(const std::string& file, const std::string& text,
                                         milliseconds timeout);
  Status WaitForFile(const std::string& file, Subprocess* owner);
  std::vector<std::string> MqttArgs(const std::string& program, const std::string& cert,
                                    const std::string& key) const;
  std::string BrokerLogLines(const std::string& needle);

  DemoOptions o_;
  const Clock& clock_;
  Console console_;
  std::string dir_;
  bool dir_was_given_ = false;     // an existing empty --dir
  std::deque<Process> processes_;  // a deque: the Subprocess* that Spawn hands out stay valid
  std::string ca_url_;
  std::string softhsm_module_;
  std::string tcti_;  // the demo's software TPM
  int broker_port_ = 0;
  Subprocess* sub_a_ = nullptr;
};

Status Demo::Step(const std::string& title, const std::function<Status()>& body) {
  console_.Begin(title);
  Status st = g_interrupted ? Status(StepFailed("interrupted")) : body();
  if (g_interrupted) {
    st = StepFailed("interrupted");  // whatever the step was waiting for when Ctrl-C came
  }
  if (!st) {
    console_.Fail(st.error());
    return st;
  }
  console_.Pass();
  return OkStatus();
}

std::string Demo::Program(const std::string& name) const {
  if (name == "anchor") {
    return o_.anchor;
  }
  if (name == "anchor-agent") {
    return o_.agent;
  }
  if (name == "mosquitto") {
    return o_.mosquitto;
  }
  return name;
}

Result<CommandResult> Demo::Exec(const std::vector<std::string>& argv) {
  console_.Command(argv);
  std::vector<std::string> real = argv;
  real[0] = Program(argv[0]);
  return RunCommand(real, kCommandTimeout, Env(), dir_);
}

Result<std::string> Demo::ExecOk(const std::vector<std::string>& argv) {
  ANCHOR_ASSIGN_OR_RETURN(CommandResult r, Exec(argv));
  if (r.exit_code != 0) {
    console_.Line(r.output);
    return StepFailed(argv[0] + " exited with status " + std::to_string(r.exit_code));
  }
  return r.output;
}

// ExecRefused runs a command that must be refused (a non-zero exit, or `expect` in its output,
// as for mosquitto_pub's QoS 1 warnings), and shows the first line of what it said.
Status Demo::ExecRefused(const std::vector<std::string>& argv, const std::string& expect) {
  ANCHOR_ASSIGN_OR_RETURN(CommandResult r, Exec(argv));
  const bool said = ToLower(r.output).find(ToLower(expect)) != std::string::npos;
  if (r.exit_code == 0 && !said) {
    console_.Line(r.output);
    return StepFailed(argv[0] + " succeeded, but must be refused");
  }
  console_.Line("→ " + r.output.substr(0, r.output.find('\n')) + " (exit " +
                std::to_string(r.exit_code) + ")");
  return OkStatus();
}

Result<Subprocess*> Demo::Spawn(const std::string& name, const std::vector<std::string>& argv) {
  console_.Command(argv);
  std::vector<std::string> real = argv;
  real[0] = Program(argv[0]);
  ANCHOR_ASSIGN_OR_RETURN(Subprocess p,
                          Subprocess::Start({real, Env(), Abs("logs/" + name + ".log"), dir_}));
  processes_.push_back({name, std::move(p)});
  return &processes_.back().process;
}

Result<Steady::time_point> Demo::WaitForText(const std::string& file, const std::string& text,
                                             milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  while (!g_interrupted) {
    if (auto content = ReadFile(Abs(file)); content && content->find(text) != std::string::npos) {
      return Steady::now();
    }
    if (Steady::now() > deadline) {
      return StepFailed("'" + text + "' did not appear in " + file + " within " +
                        std::to_string(timeout.count() / 1000) + " s");
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return StepFailed("interrupted");
}

Status Demo::WaitForFile(const std::string& file, Subprocess* owner) {
  const auto deadline = Steady::now() + kStartTimeout;
  while (!FileExists(Abs(file))) {
    if (g_interrupted || Steady::now() > deadline || !owner->Running()) {
      return StepFailed(file + " was not written (see " + dir_ + "/logs)");
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return OkStatus();
}

std::vector<std::string> Demo::MqttArgs(const std::string& program, const std::string& cert,
                                        const std::string& key) const {
  std::vector<std::string> args = {program, "-h", "localhost", "-p", std::to_string(broker_port_)};
  args.insert(args.end(), {"--cafile", "ca/root.crt", "--cert", cert, "--key", key});
  return args;
}

// BrokerLogLines returns the broker log's lines that hold `needle`.
std::string Demo::BrokerLogLines(const std::string& needle) {
  std::string out;
  const auto log = ReadFile(Abs("broker/mosquitto.log"));
  size_t start = 0;
  while (log && start < log->size()) {
    const size_t end = std::min(log->find('\n', start), log->size());
    const std::string line = log->substr(start, end - start);
    if (line.find(needle) != std::string::npos) {
      out += line + "\n";
    }
    start = end + 1;
  }
  return out;
}

Status Demo::Prepare() {
  for (const auto& [what, path] : {std::pair<std::string, std::string>{"anchor-agent", o_.agent},
                                   {"anchor_mosquitto.so", o_.plugin}}) {
    if (path.empty() || !FileExists(path)) {
      return Error(Code::kFailedPrecondition,
                   what + " not found beside anchor; build it (make) or give its path with --" +
                       (what == "anchor-agent" ? "agent" : "plugin"));
    }
  }
  if (!o_.mosquitto.empty() && !FileExists(o_.mosquitto)) {
    return Error(
        Code::kFailedPrecondition,
        "Mosquitto not found at " + o_.mosquitto +
            ": apt-get install mosquitto mosquitto-clients, or give its path with --mosquitto");
  }
  if (o_.mosquitto.empty()) {
    o_.mosquitto = FindProgram("mosquitto");
    if (o_.mosquitto.empty() && FileExists("/usr/sbin/mosquitto")) {
      o_.mosquitto = "/usr/sbin/mosquitto";
    }
  }
  if (o_.mosquitto.empty()) {
    return Error(Code::kFailedPrecondition,
                 "Mosquitto is not installed: apt-get install mosquitto mosquitto-clients");
  }
  for (const char* tool : {"mosquitto_pub", "mosquitto_sub", "curl"}) {
    if (FindProgram(tool).empty()) {
      return Error(Code::kFailedPrecondition, std::string(tool) +
                                                  " is not installed: apt-get install " +
                                                  (tool[0] == 'c' ? "curl" : "mosquitto-clients"));
    }
  }
  if (o_.dir.empty()) {
    std::string templ = (std::filesystem::temp_directory_path() / "anchor-demo.XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      return Error(Code::kUnavailable, "cannot create a directory under " + templ);
    }
    o_.dir = templ;
  } else if (FileExists(o_.dir)) {
    if (!std::filesystem::is_empty(o_.dir)) {
      return Error(Code::kAlreadyExists, o_.dir + " is not empty; give a new or empty --dir");
    }
    dir_was_given_ = true;  // emptied afterwards, not removed: it is the user's
  }
  dir_ = std::filesystem::absolute(o_.dir).string();
  for (const char* sub : {"logs", "broker", "client_a", "client_b", "rogue"}) {
    ANCHOR_TRY(MakeDirectories(Abs(sub), 0700));
  }
  return o_.hardware ? PrepareHardware() : OkStatus();
}

// PrepareHardware finds SoftHSM2 (its module and softhsm2-util) for --hardware.
Status Demo::PrepareHardware() {
  for (const char* module :
       {"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"}) {
    if (FileExists(module)) {
      softhsm_module_ = module;
      break;
    }
  }
  if (softhsm_module_.empty() || FindProgram("softhsm2-util").empty()) {
    return Error(Code::kFailedPrecondition,
                 "--hardware needs SoftHSM2: apt-get install softhsm2 (make setup installs it)");
  }
  if (FindProgram("swtpm").empty()) {
    return Error(Code::kFailedPrecondition,
                 "--hardware needs a software TPM: apt-get install swtpm tpm2-openssl (make setup "
                 "installs them)");
  }
  for (const char* sub : {"hsm/tokens", "tpm", "client_t"}) {
    ANCHOR_TRY(MakeDirectories(Abs(sub), 0700));
  }
  return OkStatus();
}

// MakeToken makes the demo's PKCS#11 token in hsm/ with a random user PIN in hsm/pin (0600), as
// an operator initialises an HSM, and returns nothing but the files.
Status Demo::MakeToken() {
  ANCHOR_TRY(WriteFileAtomic(Abs("hsm/softhsm2.conf"),
                             "directories.tokendir = " + Abs("hsm/tokens") +
                                 "\nobjectstore.backend = file\nlog.level = ERROR\n",
                             kPrivateKeyMode));
  uint8_t random[16];
  ANCHOR_TRY(crypto::CryptoRng().Fill(random));
  const std::string pin = HexEncode(std::span<const uint8_t>(random, 8));
  const std::string so_pin = HexEncode(std::span<const uint8_t>(random + 8, 8));
  ANCHOR_TRY(WriteFileAtomic(Abs("hsm/pin"), pin + "\n", kPrivateKeyMode));
  // The PINs go on softhsm2-util's command line, as its manual has it; the demo's token is
  // throwaway. anchor itself reads the PIN from hsm/pin (pin-source in the key's URI).
  ANCHOR_ASSIGN_OR_RETURN(CommandResult r,
                          RunCommand({"softhsm2-util", "--init-token", "--free", "--label",
                                      "anchor-demo", "--so-pin", so_pin, "--pin", pin},
                                     kCommandTimeout, Env(), dir_));
  if (r.exit_code != 0) {
    console_.Line(r.output);
    return StepFailed("softhsm2-util --init-token exited with status " +
                      std::to_string(r.exit_code));
  }
  console_.Line(
      "softhsm2-util --init-token --label anchor-demo ...  (a SoftHSM2 token in hsm/, "
      "its user PIN in hsm/pin)");
  return OkStatus();
}

Status Demo::StartCa() {
  console_.Line("(in " + dir_ + ", with ANCHOR_HOME=$PWD/ca)");
  std::vector<std::string> init{"anchor", "init", "--name", "demo"};
  if (o_.hardware) {
    ANCHOR_TRY(MakeToken());
    // RFC 7512: the token, the key's label, the module, and the file holding the PIN; the key
    // files in ca/ keep these URIs, so every later command finds the keys and the PIN.
    const auto uri = [&](const std::string& object) {
      return "pkcs11:token=anchor-demo;object=" + object + "?module-path=" + softhsm_module_ +
             "&pin-source=" + Abs("hsm/pin");
    };
    init.insert(init.end(), {"--key-uri", uri("intermediate"), "--root-key-uri", uri("root")});
  }
  ANCHOR_ASSIGN_OR_RETURN(std::string out, ExecOk(init));
  console_.Line(out);
  ANCHOR_ASSIGN_OR_RETURN(Subprocess * serve,
                          Spawn("serve", {"anchor", "serve", "--listen", "127.0.0.1:0"}));
  ANCHOR_TRY(WaitForText("logs/serve.log", "listening on https://127.0.0.1:", kStartTimeout));
  ANCHOR_ASSIGN_OR_RETURN(std::string log, ReadFile(Abs("logs/serve.log")));
  const size_t at = log.find("127.0.0.1:") + std::string("127.0.0.1:").size();
  ca_url_ = "https://localhost:" + std::to_string(std::atoi(log.c_str() + at));
  console_.Line(log.substr(0, log.find_last_not_of('\n') + 1) + " (PID " +
                std::to_string(serve->pid()) + ")");
  return OkStatus();
}

Status Demo::StartBroker() {
  ANCHOR_ASSIGN_OR_RETURN(std::string token,
                          ExecOk({"anchor", "token", "create", "--cn", "localhost", "--san",
                                  "ip:127.0.0.1", "--profile", "peer", "-q"}));
  ANCHOR_TRY(WriteFileAtomic(Abs("broker/token"), token, kPrivateKeyMode));
  console_.Line("→ a one-time token, saved to broker/token");
  // The broker's agent enrolls now and renews later; after each renewal Mosquitto reloads its
  // certificate on SIGHUP.
  ANCHOR_ASSIGN_OR_RETURN(
      Subprocess * agent,
      Spawn("broker-agent",
            {"anchor-agent", "run", "--server", ca_url_, "--ca-cert", "ca/root.crt", "--cn",
             "localhost", "--san", "ip:127.0.0.1", "--key", "broker/broker.key", "--cert",
             "broker/broker.crt", "--token-file", "broker/token", "--on-renew",
             "kill -HUP $(cat broker/mosquitto.pid 2>/dev/null) 2>/dev/null || true"}));
  ANCHOR_TRY(WaitForFile("broker/broker.crt", agent));
  ANCHOR_ASSIGN_OR_RETURN(broker_port_, FreeLoopbackPort());
  ANCHOR_TRY(WriteFileAtomic(Abs("broker/acl.toml"), kDemoAcl, kPublicFileMode));
  const std::vector<std::string> lines = {
      "# Mosquitto checks the TLS chain; anchor's plugin adds identities, ACLs and revocation.",
      "user " + UserName(),
      "per_listener_settings false",
      "persistence false",
      "log_dest file " + Abs("broker/mosquitto.log"),
      "log_timestamp_format %H:%M:%S",
      "log_type error",
      "log_type warning",
      "log_type notice",
      "log_type information",
      "log_type subscribe",
      "listener " + std::to_string(broker_port_) + " 127.0.0.1",
      "cafile " + Abs("ca/root.crt"),
      "certfile " + Abs("broker/broker.crt"),
      "keyfile " + Abs("broker/broker.key"),
      "require_certificate true",
      "# Without it every TLS connect waits about 40 ms on Nagle's algorithm.",
      "set_tcp_nodelay true",
      "plugin " + o_.plugin,
      "plugin_opt_ca_url " + ca_url_,
      "plugin_opt_ca_file " + Abs("ca/root.crt"),
      "plugin_opt_cert " + Abs("broker/broker.crt"),
      "plugin_opt_key " + Abs("broker/broker.key"),
      "plugin_opt_acl_file " + Abs("broker/acl.toml"),
      "plugin_opt_cache_file " + Abs("broker/revocations.json"),
      "plugin_opt_state_file " + Abs("broker/sessions.json"),
      "plugin_opt_poll_ms " + std::to_string(o_.revocation_poll_ms)};
  const std::string conf = Join(lines, "\n") + "\n";
  ANCHOR_TRY(WriteFileAtomic(Abs("broker/mosquitto.conf"), conf, kPublicFileMode));
  console_.Line("→ broker/mosquitto.conf: TLS listener 127.0.0.1:" + std::to_string(broker_port_) +
                ", require_certificate true, set_tcp_nodelay true, plugin anchor_mosquitto.so; "
                "broker/acl.toml: devices publish under devices/{cn}/#");
  ANCHOR_ASSIGN_OR_RETURN(Subprocess * broker,
                          Spawn("mosquitto", {"mosquitto", "-c", "broker/mosquitto.conf"}));
  auto running = WaitForText("broker/mosquitto.log", "running", kStartTimeout);
  console_.Line(BrokerLogLines("anchor:"));
  ANCHOR_TRY(running);
  // The pid file is what the agent's --on-renew hook signals (SIGHUP: reload the certificate).
  // Written only once Mosquitto runs: a SIGHUP before it has installed its handler kills it,
  // and the hook also runs right after the first enrollment, which may still be under way.
  return WriteFileAtomic(Abs("broker/mosquitto.pid"), std::to_string(broker->pid()) + "\n",
                         kPublicFileMode);
}

Status Demo::EnrollDevices() {
  for (const std::string device : kDevices) {
    ANCHOR_ASSIGN_OR_RETURN(std::string token,
                            ExecOk({"anchor", "token", "create", "--cn", device, "-q"}));
    ANCHOR_TRY(WriteFileAtomic(Abs(device + "/token"), token, kPrivateKeyMode));
    ANCHOR_ASSIGN_OR_RETURN(
        Subprocess * agent,
        Spawn(
            device + "-agent",
            {"anchor-agent", "run", "--server", ca_url_, "--ca-cert", "ca/root.crt", "--cn", device,
             "--key", device + "/" + device + ".key", "--cert", device + "/" + device + ".crt",
             "--ca-out", device + "/ca.pem", "--token-file", device + "/token"}));
    ANCHOR_TRY(WaitForFile(device + "/" + device + ".crt", agent));
    ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                            crypto::LoadCertificateFile(Abs(device + "/" + device + ".crt")));
    console_.Line("→ " + device + ": key made on the device (" + device + "/" + device +
                  ".key, 0600), certificate " + cert.SerialHex() + ", " +
                  Join(
                      [&] {
                        std::vector<std::string> names;
                        for (const auto& n : cert.SubjectAltNames()) {
                          names.push_back(n.ToString());
                        }
                        return names;
                      }(),
                      ", ") +
                  ", valid until " + Iso8601(cert.NotAfter()));
  }
  return OkStatus();
}

// StartTpm starts a software TPM 2.0 (swtpm) on two free ports of 127.0.0.1 (commands, and
// control on the next one), its state in tpm/, as a device's TPM.
Status Demo::StartTpm() {
  int port = 0;
  for (int tries = 0; tries < 20 && port == 0; ++tries) {
    ANCHOR_ASSIGN_OR_RETURN(const int candidate, FreeLoopbackPort());
    if (candidate < 65535 && OnLoopback(candidate + 1, /*connect=*/false)) {
      port = candidate;
    }
  }
  if (port == 0) {
    return StepFailed("no two free neighbouring ports on 127.0.0.1 for swtpm");
  }
  ANCHOR_ASSIGN_OR_RETURN(
      Subprocess * tpm,
      Spawn("swtpm", {"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + Abs("tpm"), "--server",
                      "type=tcp,port=" + std::to_string(port) + ",bindaddr=127.0.0.1", "--ctrl",
                      "type=tcp,port=" + std::to_string(port + 1) + ",bindaddr=127.0.0.1",
                      "--flags", "not-need-init,startup-clear"}));
  const auto deadline = Steady::now() + kStartTimeout;
  while (!OnLoopback(port, /*connect=*/true)) {
    if (Steady::now() > deadline || !tpm->Running()) {
      return StepFailed("swtpm did not start (logs/swtpm.log)");
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  tcti_ = "swtpm:host=127.0.0.1,port=" + std::to_string(port);
  return OkStatus();
}

// TpmDevice is a third device, client_t, whose key anchor-agent makes inside the TPM: the CSR is
// signed there, the key file is the TPM's sealed blob, and its MQTT connection (made here with
// libmosquitto, the TLS handshake signed by the TPM) is admitted by the broker's plugin.
Status Demo::TpmDevice() {
  ANCHOR_TRY(StartTpm());
  ANCHOR_ASSIGN_OR_RETURN(std::string token,
                          ExecOk({"anchor", "token", "create", "--cn", "client_t", "-q"}));
  ANCHOR_TRY(WriteFileAtomic(Abs("client_t/token"), token, kPrivateKeyMode));
  // --once: swtpm serves one connection at a time, and the MQTT client below needs the TPM.
  ANCHOR_ASSIGN_OR_RETURN(
      std::string enrolled,
      ExecOk({"anchor-agent", "run", "--once", "--tpm", tcti_, "--server", ca_url_, "--ca-cert",
              "ca/root.crt", "--cn", "client_t", "--key", "client_t/client_t.key", "--cert",
              "client_t/client_t.crt", "--ca-out", "client_t/ca.pem", "--token-file",
              "client_t/token"}));
  console_.Line(enrolled.substr(0, enrolled.find_last_not_of('\n') + 1));
  ANCHOR_ASSIGN_OR_RETURN(std::string blob, ReadFile(Abs("client_t/client_t.key")));
  if (blob.find("-----BEGIN TSS2 PRIVATE KEY-----") != 0) {
    return StepFailed("client_t/client_t.key is not a TPM key (TSS2 PRIVATE KEY)");
  }
  console_.Line(
      "→ client_t/client_t.key is the TPM's sealed blob (TSS2 PRIVATE KEY): the key "
      "itself never left the TPM, and only this TPM can load it");
  crypto::SetTpm2Tcti(tcti_);
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::LoadPrivateKeyFile(Abs("client_t/client_t.key"), nullptr));
  ANCHOR_ASSIGN_OR_RETURN(std::string chain_pem, ReadFile(Abs("client_t/client_t.crt")));
  ANCHOR_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> chain,
                          crypto::Certificate::ParseAll(chain_pem));
  ANCHOR_ASSIGN_OR_RETURN(std::string root_pem, ReadFile(Abs("ca/root.crt")));
  ANCHOR_ASSIGN_OR_RETURN(crypto::TlsClientContext tls,
                          crypto::TlsClientContext::Create(
                              {root_pem, "localhost", std::move(chain), std::move(key), false}));
  console_.Line("(client_t connects with libmosquitto, its TLS key the TPM's)");
  client::MqttLibrary library;
  client::MqttSession session({"localhost", broker_port_, ""}, tls.Native());
  if (const int connack = session.Connect(kStartTimeout); connack != 0) {
    console_.Line(BrokerLogLines("client_t"));
    return StepFailed("the broker did not admit client_t (CONNACK " + std::to_string(connack) +
                      ")");
  }
  if (!session.Publish("devices/client_t/telemetry", kPayload)) {
    return StepFailed("client_t's publish was not acknowledged");
  }
  session.Disconnect();
  console_.Line(
      "→ client_t connected over mTLS (its handshake signed inside the TPM), was "
      "admitted by anchor's plugin and published to devices/client_t/telemetry");
  return OkStatus();
}

Status Demo::PublishAndReceive() {
  // client_a also listens for its commands: step 7 revokes it while this subscription is open.
  auto sub_a = MqttArgs("mosquitto_sub", "client_a/client_a.crt", "client_a/client_a.key");
  sub_a.insert(sub_a.end(), {"-i", "client_a-commands", "-t", "commands/client_a/#", "-v"});
  ANCHOR_ASSIGN_OR_RETURN(sub_a_, Spawn("sub_a", sub_a));
  auto sub_b = MqttArgs("mosquitto_sub", "client_b/client_b.crt", "client_b/client_b.key");
  sub_b.insert(sub_b.end(), {"-i", "client_b-telemetry", "-t", "devices/client_a/telemetry", "-v",
                             "-C", "1", "-W", "15"});
  ANCHOR_ASSIGN_OR_RETURN(Subprocess * receiver, Spawn("sub_b", sub_b));
  // The broker logs each subscription (log_type subscribe) once it is in place.
  ANCHOR_TRY(WaitForText("broker/mosquitto.log", "client_a-commands 0 commands/client_a/#",
                         kStartTimeout));
  ANCHOR_TRY(WaitForText("broker/mosquitto.log", "client_b-telemetry 0 devices/client_a/telemetry",
                         kStartTimeout));
  auto pub = MqttArgs("mosquitto_pub", "client_a/client_a.crt", "client_a/client_a.key");
  pub.insert(pub.end(), {"-t", "devices/client_a/telemetry", "-m", kPayload, "-q", "1"});
  ANCHOR_TRY(ExecOk(pub));
  auto code = receiver->Wait(kStartTimeout);
  ANCHOR_ASSIGN_OR_RETURN(std::string got, ReadFile(Abs("logs/sub_b.log")));
  if (!code || *code != 0 || got.find(kPayload) == std::string::npos) {
    console_.Line(got);
    return StepFailed("client_b did not receive client_a's message");
  }
  console_.Line("→ client_b received: " + got.substr(0, got.find_last_not_of('\n') + 1));
  return OkStatus();
}

Status Demo::RefuseRogues() {
  // A self-signed certificate for client_a's name, made here with no CA at all.
  crypto::CryptoRng rng;
  ANCHOR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  crypto::CertTemplate self;
  ANCHOR_ASSIGN_OR_RETURN(self.serial, ca::NewSerial(rng));
  self.common_name = "client_a";
  self.not_before = clock_.Now() - std::chrono::minutes(1);
  self.not_after = clock_.Now() + std::chrono::hours(24);
  self.key_usage = crypto::kDigitalSignature;
  self.ext_key_usage = {crypto::ExtKeyUsage::kClientAuth};
  self.authority_key_id = false;
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                          crypto::SignCertificate(self, key.Public(), nullptr, key));
  ANCHOR_TRY(crypto::WritePrivateKeyFile(Abs("rogue/self.key"), key, nullptr));
  ANCHOR_TRY(WriteFileAtomic(Abs("rogue/self.crt"), cert.ToPem(), kPublicFileMode));
  console_.Line("→ rogue/self.crt: self-signed, CN=client_a");
  auto pub = MqttArgs("mosquitto_pub", "rogue/self.crt", "rogue/self.key");
  pub.insert(pub.end(), {"-t", "devices/client_a/telemetry", "-m", "forged"});
  ANCHOR_TRY(ExecRefused(pub, "error"));
  ANCHOR_TRY(ShowTlsRefusals(1));

  // A certificate for the same name from another anchor CA.
  ANCHOR_TRY(ExecOk({"anchor", "--home", "other-ca", "init", "--name", "other", "-q"}));
  ANCHOR_TRY(ExecOk({"anchor", "--home", "other-ca", "issue", "--cn", "client_a", "--profile",
                     "device", "--cert", "rogue/other.crt", "--key", "rogue/other.key", "-q"}));
  pub = MqttArgs("mosquitto_pub", "rogue/other.crt", "rogue/other.key");
  pub.insert(pub.end(), {"-t", "devices/client_a/telemetry", "-m", "forged"});
  ANCHOR_TRY(ExecRefused(pub, "error"));
  return ShowTlsRefusals(2);
}

// ShowTlsRefusals waits until the broker has logged `count` failed TLS handshakes and prints
// the last: the broker's own reason for a refusal that the client sees as a lost connection.
Status Demo::ShowTlsRefusals(size_t count) {
  const std::string needle = "certificate verify failed";
  const auto deadline = Steady::now() + kStartTimeout;
  std::string lines;
  while (static_cast<size_t>(std::count(lines.begin(), lines.end(), '\n')) < count) {
    if (g_interrupted || Steady::now() > deadline) {
      return StepFailed("the broker did not log the refused handshake");
    }
    std::this_thread::sleep_for(milliseconds(5));
    lines = BrokerLogLines(needle);
  }
  lines.pop_back();
  console_.Line("broker: " + lines.substr(lines.rfind('\n') + 1));
  return OkStatus();
}

Status Demo::DenyForeignTopic() {
  auto pub = MqttArgs("mosquitto_pub", "client_a/client_a.crt", "client_a/client_a.key");
  pub.insert(pub.end(),
             {"-t", "devices/client_b/telemetry", "-m", "spoofed", "-q", "1", "-V", "5"});
  ANCHOR_ASSIGN_OR_RETURN(CommandResult r, Exec(pub));
  if (ToLower(r.output).find("not authorized") == std::string::npos) {
    console_.Line(r.output);
    return StepFailed("the broker did not refuse client_a's publish to client_b's topic");
  }
  console_.Line("→ " + r.output.substr(0, r.output.find_last_not_of('\n') + 1));
  ANCHOR_TRY(WaitForText("broker/mosquitto.log", "denied publish 'devices/client_b/telemetry'",
                         kStartTimeout));
  console_.Line("broker: " + BrokerLogLines("denied publish 'devices/client_b/telemetry'"));
  return OkStatus();
}

Status Demo::RevokeAndDrop() {
  ANCHOR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                          crypto::LoadCertificateFile(Abs("client_a/client_a.crt")));
  const std::string serial = cert.SerialHex();
  ANCHOR_TRY(
      ExecOk({"anchor", "revoke", "--server", ca_url_, serial, "--reason", "keyCompromise"}));
  const auto revoked = Steady::now();
  ANCHOR_ASSIGN_OR_RETURN(Steady::time_point dropped,
                          WaitForText("broker/mosquitto.log",
                                      "disconnecting client 'client_a-commands'", kStartTimeout));
  const long ms =
      static_cast<long>(std::chrono::duration_cast<milliseconds>(dropped - revoked).count());
  console_.Line("broker: " + BrokerLogLines("disconnecting client 'client_a-commands'"));
  console_.Line("→ client_a's open subscription was dropped " + std::to_string(ms) +
                " ms after `anchor revoke` returned");
  auto gone = sub_a_->Wait(kStartTimeout);
  ANCHOR_ASSIGN_OR_RETURN(std::string said, ReadFile(Abs("logs/sub_a.log")));
  if (!gone || *gone == 0) {
    return StepFailed("client_a's mosquitto_sub is still connected after its revocation");
  }
  console_.Line("→ its mosquitto_sub reconnected and was refused: " +
                said.substr(0, said.find_last_not_of('\n') + 1));
  auto pub = MqttArgs("mosquitto_pub", "client_a/client_a.crt", "client_a/client_a.key");
  pub.insert(pub.end(), {"-t", "devices/client_a/telemetry", "-m", "still here?"});
  ANCHOR_TRY(ExecRefused(pub, "not authori"));
  if (milliseconds(ms) > kDropAim) {
    return StepFailed("dropped after " + std::to_string(ms) + " ms, over the 1 s aim");
  }
  return OkStatus();
}

Status Demo::HttpsHello() {
  const std::string url = ca_url_ + "/hello";
  ANCHOR_ASSIGN_OR_RETURN(std::string hello,
                          ExecOk({"curl", "-sS", "--cacert", "ca/root.crt", "--cert",
                                  "client_b/client_b.crt", "--key", "client_b/client_b.key", url}));
  if (hello.find("Hello, client_b") == std::string::npos) {
    return StepFailed("/hello answered '" + hello + "'");
  }
  console_.Line("→ " + hello.substr(0, hello.find_last_not_of('\n') + 1));
  ANCHOR_ASSIGN_OR_RETURN(std::string status,
                          ExecOk({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--cacert", "ca/root.crt", url}));
  if (status != "401") {
    return StepFailed("without a certificate /hello answered " + status + ", not 401");
  }
  console_.Line("→ 401: no client certificate, no hello");
  return ExecRefused({"curl", "-sS", "--tlsv1.2", "--tls-max", "1.2", "--cacert", "ca/root.crt",
                      "--cert", "client_b/client_b.crt", "--key", "client_b/client_b.key", url},
                     "alert");
}

void Demo::PrintKeepInstructions() {
  std::printf(
      "\nEverything is still running in %s. To use it by hand:\n"
      "  cd %s && export ANCHOR_HOME=$PWD/ca PATH=%s:%s:$PATH\n"
      "  mosquitto_sub -h localhost -p %d --cafile ca/root.crt --cert client_b/client_b.crt "
      "--key client_b/client_b.key -t 'devices/client_a/#' -v\n"
      "  anchor token create --cn client_c > client_c.token   # then: anchor-agent run --server "
      "%s --ca-cert ca/root.crt --cn client_c --key c.key --cert c.crt --token-file "
      "client_c.token\n"
      "  anchor-agent status --cert client_b/client_b.crt\n"
      "  curl --cacert ca/root.crt --cert client_b/client_b.crt --key client_b/client_b.key "
      "%s/hello\n"
      "  anchor list; anchor revoke --server %s SERIAL\n"
      "  tail -f broker/mosquitto.log logs/*.log\n"
      "Stop it all with: kill",
      dir_.c_str(), dir_.c_str(), std::filesystem::path(o_.anchor).parent_path().c_str(),
      std::filesystem::path(o_.agent).parent_path().c_str(), broker_port_, ca_url_.c_str(),
      ca_url_.c_str(), ca_url_.c_str());
  for (Process& p : processes_) {
    if (p.process.Running()) {
      std::printf(" %d", p.process.pid());
    }
  }
  std::printf(" && rm -rf %s\n", dir_.c_str());
  if (o_.hardware) {
    std::printf(
        "The CA's keys are in the SoftHSM2 token of hsm/ (export "
        "SOFTHSM2_CONF=%s/hsm/softhsm2.conf "
        "for anchor and pkcs11-tool; its PIN is in hsm/pin); client_t's key is in the swtpm above "
        "(--tpm %s).\n",
        dir_.c_str(), tcti_.c_str());
  }
}

void Demo::StopAll() {
  // Clients first, the CA last, so that nothing logs its peers vanishing as an error.
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
    it->process.Stop();
  }
  processes_.clear();
  if (!dir_.empty() && !o_.keep) {
    std::error_code ignored;
    if (dir_was_given_) {
      for (const auto& entry : std::filesystem::directory_iterator(dir_, ignored)) {
        std::filesystem::remove_all(entry.path(), ignored);
      }
    } else {
      std::filesystem::remove_all(dir_, ignored);
    }
  }
}

Status Demo::Run() {
  const auto started = Steady::now();
  ANCHOR_TRY(Prepare());
  std::printf(
      "anchor demo: seed 002's IoT system (a private CA, an MQTT broker, two devices) "
      "and seeds 003/004's mTLS hello, on loopback\n");
  struct DemoStep {
    const char* title;
    Status (Demo::*run)();
  };
  static constexpr DemoStep kSteps[] = {
      {"A fresh CA (root + intermediate) and the online CA, anchor serve", &Demo::StartCa},
      {"The broker's certificate enrolled over EST by anchor-agent; Mosquitto started with TLS, "
       "require_certificate and anchor's plugin",
       &Demo::StartBroker},
      {"client_a and client_b: each agent makes its key and enrolls with a one-time token",
       &Demo::EnrollDevices},
      {"client_b subscribes, client_a publishes: the message arrives", &Demo::PublishAndReceive},
      {"Rogues are refused: a self-signed certificate and one from another CA",
       &Demo::RefuseRogues},
      {"client_a publishing to client_b's topic is denied by the ACL", &Demo::DenyForeignTopic},
      {"anchor revoke client_a: its open subscription is dropped and it cannot reconnect",
       &Demo::RevokeAndDrop},
      {"The HTTPS side (seeds 003/004): mTLS hello with curl; no certificate and TLS 1.2 refused",
       &Demo::HttpsHello},
  };
  std::vector<DemoStep> steps(std::begin(kSteps), std::end(kSteps));
  if (o_.hardware) {
    // After the devices: a third one whose key is in a TPM.
    steps.insert(steps.begin() + 3,
                 DemoStep{"client_t: its key made inside a TPM 2.0 (swtpm) by anchor-agent --tpm; "
                          "it connects to the broker with that key",
                          &Demo::TpmDevice});
  }
  for (const DemoStep& step : steps) {
    ANCHOR_TRY(Step(step.title, [&] { return (this->*step.run)(); }));
  }
  console_.Done(Elapsed(started));
  if (o_.keep) {
    PrintKeepInstructions();
    for (Process& p : processes_) {
      p.process.Release();
    }
  }
  return OkStatus();
}

}  // namespace

Status RunDemo(DemoOptions options, const Clock& clock) {
  g_interrupted = 0;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  // Output piped into `head` that exits: a write then fails instead of killing the demo before
  // it stops the processes it started (they were left running).
  std::signal(SIGPIPE, SIG_IGN);
  Demo demo(std::move(options), clock);
  Status st = demo.Run();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGPIPE, SIG_DFL);
  return st;
}

}  // namespace anchor::demo
