// SPDX-License-Identifier: Apache-2.0
// anchor.toml read once by home/ and handed to its two readers: the CA (its tables and its keys of
// [server]) and the transport (server::ServerSettings, the rest of [server]). The file `anchor
// init` writes is the one it always wrote.
#include "home/config_file.h"

#include <gtest/gtest.h>

#include <set>

#include "core/file_io.h"
#include "core/toml_fields.h"
#include "home/ca_home.h"
#include "testlib/matchers.h"
#include "testlib/temp_dir.h"
#include "testlib/test_ca.h"

namespace anchor::home {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

// kDefaultToml is anchor.toml as `anchor init` has always written it with no options: users
// diff against it and scripts edit it with sed, so it changes only on purpose.
constexpr std::string_view kDefaultToml =
    R"(# anchor.toml: configuration of this CA. Edit the policy here; `anchor sign` and
# `anchor serve` read it on start.

[ca]
name = "anchor"
# Base URL written into certificates as CRL distribution point ({url}/crl) and
# AIA (OCSP {url}/ocsp, caIssuers {url}/intermediate.crt). Empty: none.
public_url = ""
key_type = "ec-p256"
crl_days = 7

[device]
# The URI SAN of device certificates; {id} is the device id (the CN).
uri_template = "urn:anchor:device:{id}"

[service]
# The URI SAN of service certificates (backends that read device data).
uri_template = "urn:anchor:service:{id}"

[server]
# Limits of `anchor serve`. threads = 0: one per core.
threads = 0
# At max_connections the connection idle the longest is closed for a new one.
# Connections still in their TLS handshake have a deadline and a budget of their own (at
# most half of max_connections); when it is spent, the oldest handshake of a client
# address (IPv6: /64) holding more than its share gives way, else the oldest handshake.
max_connections = 1024
max_handshakes = 256
handshake_share_per_address = 32
max_body_kib = 64
handshake_timeout_seconds = 5
header_timeout_seconds = 10
idle_timeout_seconds = 60
# simplereenroll renews an expired certificate only within this many seconds of expiry.
renewal_grace_seconds = 0
# A PEM file of factory CA certificates: a device holding a certificate from one may
# enroll for its own CN without a token. Empty: none.
bootstrap_ca = ""
bootstrap_profile = "device"

[profiles.server]
default_days = 90
max_days = 397
# > 0: certificates live this many minutes unless a request names its days.
default_minutes = 0
# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).
dns_suffixes = []
ip_ranges = []
key_types = ["ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096"]
allow_wildcards = false

[profiles.client]
default_days = 365
max_days = 825
# > 0: certificates live this many minutes unless a request names its days.
default_minutes = 0
# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).
dns_suffixes = []
ip_ranges = []
key_types = ["ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096"]
allow_wildcards = false

[profiles.device]
default_days = 365
max_days = 825
# > 0: certificates live this many minutes unless a request names its days.
default_minutes = 0
# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).
dns_suffixes = []
ip_ranges = []
key_types = ["ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096"]
allow_wildcards = false

[profiles.service]
default_days = 90
max_days = 397
# > 0: certificates live this many minutes unless a request names its days.
default_minutes = 0
# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).
dns_suffixes = []
ip_ranges = []
key_types = ["ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096"]
allow_wildcards = false

[profiles.peer]
default_days = 90
max_days = 397
# > 0: certificates live this many minutes unless a request names its days.
default_minutes = 0
# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).
dns_suffixes = []
ip_ranges = []
key_types = ["ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096"]
allow_wildcards = false

[profiles.admin]
default_days = 365
max_days = 825
# > 0: certificates live this many minutes unless a request names its days.
default_minutes = 0
# Allowed DNS suffixes (empty: any valid name) and IP ranges in CIDR (empty: any).
dns_suffixes = []
ip_ranges = []
key_types = ["ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096"]
allow_wildcards = false
)";

TEST(ConfigFileTest, TheDefaultFileIsTheOneInitAlwaysWrote) {
  EXPECT_EQ(ConfigFileToml(ConfigFile{}), kDefaultToml);
}

class ConfigFileInitTest : public anchor::testing::TempDirTest {};

TEST_F(ConfigFileInitTest, InitWritesTheDefaultFileAndOpenReadsBothParts) {
  FixedClock clock{anchor::testing::kReferenceTime};
  anchor::testing::TestRng rng{7};
  const std::string home = Path("ca");
  ASSERT_THAT(InitCa(home, InitOptions{}, clock, rng), IsOk());
  const auto written = ReadFile(CaPaths::In(home).config);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, kDefaultToml);

  std::string edited = *written;
  edited.replace(edited.find("\nthreads = 0\n"), 13, "\nthreads = 3\n");
  edited.replace(edited.find("\nrenewal_grace_seconds = 0\n"), 27,
                 "\nrenewal_grace_seconds = 60\n");
  ASSERT_THAT(WriteFileAtomic(CaPaths::In(home).config, edited, 0644), IsOk());
  const auto opened = CaHome::Open(home, nullptr, /*need_key=*/false, clock, rng);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ((*opened)->server_settings().threads, 3);
  EXPECT_EQ((*opened)->config().server.renewal_grace_seconds, 60);
}

TEST(ConfigFileTest, EachLayerGetsItsKeysOfServer) {
  const auto file = ParseConfigFile(
      "[server]\nthreads = 4\nmax_body_kib = 128\nrenewal_grace_seconds = 600\n"
      "bootstrap_profile = \"peer\"\n",
      "anchor.toml");
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ(file->server.threads, 4);
  EXPECT_EQ(file->server.max_body_kib, 128);
  EXPECT_EQ(file->server.idle_timeout_seconds, 60);
  EXPECT_EQ(file->ca.server.renewal_grace_seconds, 600);
  EXPECT_EQ(file->ca.server.bootstrap_profile, "peer");
}

TEST(ConfigFileTest, AWrittenFileParsesBackTheSame) {
  ConfigFile file;
  file.ca.name = "fleet";
  file.ca.server.bootstrap_ca = "/etc/factory.pem";
  file.server.max_connections = 50;
  file.server.header_timeout_seconds = 3;
  const auto back = ParseConfigFile(ConfigFileToml(file), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->ca.name, "fleet");
  EXPECT_EQ(back->ca.server.bootstrap_ca, "/etc/factory.pem");
  EXPECT_EQ(back->server.max_connections, 50);
  EXPECT_EQ(back->server.header_timeout_seconds, 3);
  EXPECT_EQ(back->server.max_handshakes, 256);
}

TEST(ConfigFileTest, AKeyOfServerThatNoLayerReadsIsNamed) {
  const auto unknown = ParseConfigFile("[server]\nworkers = 4\n", "t.toml");
  ASSERT_THAT(unknown, ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(unknown.error().message(), "t.toml: server.workers: unknown key; remove or correct it");
  const auto typo = ParseConfigFile("[server]\nmax_handshake = 10\n", "t.toml");
  ASSERT_THAT(typo, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(typo.error().message().find("server.max_handshake:"), std::string::npos);
  EXPECT_THAT(ParseConfigFile("[ca]\ncolour = \"blue\"\n", "t"), ErrorIs(Code::kInvalidArgument));
}

// toml++ would read `true` as the number 1: a lease of one second, a CRL valid one day.
TEST(ConfigFileTest, ABooleanWhereANumberBelongsIsTheWrongType) {
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"[ca]\ncrl_days = true\n", "ca.crl_days"},
           {"[server]\nmax_connections = true\n", "server.max_connections"},
           {"[store]\nurl = \"postgres://a@h/d\"\ncrl_lease_seconds = true\n",
            "store.crl_lease_seconds"}}) {
    const auto parsed = ParseConfigFile(text, "t.toml");
    ASSERT_THAT(parsed, ErrorIs(Code::kInvalidArgument)) << text;
    EXPECT_NE(parsed.error().message().find(key + ": has the wrong type: a number"),
              std::string::npos)
        << parsed.error().message();
  }
}

TEST(ConfigFileTest, BadValuesOfEitherLayerNameTheKey) {
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"max_connections = 0", "server.max_connections"},
           {"header_timeout_seconds = \"10\"", "server.header_timeout_seconds"},
           {"handshake_timeout_seconds = 61", "server.handshake_timeout_seconds"},
           {"renewal_grace_seconds = -1", "server.renewal_grace_seconds"},
           {"bootstrap_profile = \"admin\"", "server.bootstrap_profile"}}) {
    const auto bad = ParseConfigFile("[server]\n" + text + "\n", "t.toml");
    ASSERT_THAT(bad, ErrorIs(Code::kInvalidArgument)) << text;
    EXPECT_EQ(bad.error().message().rfind("t.toml: " + key + ": ", 0), 0u) << bad.error().message();
  }
}

TEST(ConfigFileTest, NoKeyOfServerHasTwoReaders) {
  std::set<std::string_view> transport(std::begin(server::kServerSettingKeys),
                                       std::end(server::kServerSettingKeys));
  for (const std::string_view key : ca::kServerPolicyKeys) {
    EXPECT_EQ(transport.count(key), 0u) << key;
  }
}

}  // namespace
}  // namespace anchor::home

namespace anchor::home {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;

// A reload never takes an empty or truncated file for "all defaults".
TEST_F(ConfigFileInitTest, AReloadRefusesAFileWithoutTheCaTable) {
  const std::string path = Path("anchor.toml");
  for (const std::string& text : {std::string(), std::string("[profiles.device]\nmax_days = 30\n"),
                                  std::string("[ca]\nname = \"x\"\n")}) {
    ASSERT_THAT(WriteFileAtomic(path, text, 0644), IsOk());
    auto loaded = LoadConfigFileToReload(path);
    ASSERT_THAT(loaded, ErrorIs(Code::kFailedPrecondition)) << text;
    EXPECT_NE(loaded.error().message().find(path), std::string::npos);
  }
  ASSERT_THAT(WriteFileAtomic(path, std::string(kDefaultToml), 0644), IsOk());
  EXPECT_THAT(LoadConfigFileToReload(path), IsOk());
}

TEST(ConfigFileTest, ChangedSettingsNameEachKeyWithBothValues) {
  std::string edited(kDefaultToml);
  const std::string device = "[profiles.device]\ndefault_days = 365\nmax_days = 825\n";
  edited.replace(edited.find(device), device.size(),
                 "[profiles.device]\ndefault_days = 20\nmax_days = 30\n");
  const ConfigFile before = ParseConfigFile(edited, "before").value();
  const ConfigFile after = ParseConfigFile(kDefaultToml, "after").value();
  EXPECT_EQ(ChangedSettings(before, after),
            (std::vector<std::string>{"profiles.device.default_days 20 -> 365",
                                      "profiles.device.max_days 30 -> 825"}));
  EXPECT_TRUE(ChangedSettings(after, after).empty());
}

// A changed key of the transport is told apart (it needs a restart), and is not also among the
// settings a reload applies; string and array values are compared as values, and written as TOML.
TEST(ConfigFileTest, SettingChangesTellTheTransportKeysApart) {
  std::string edited(kDefaultToml);
  edited.replace(edited.find("\nthreads = 0\n"), 13, "\nthreads = 4\n");
  edited.replace(edited.find("name = \"anchor\""), 15, "name = \"fleet\"");
  const ConfigFile before = ParseConfigFile(kDefaultToml, "before").value();
  const ConfigFile after = ParseConfigFile(edited, "after").value();
  const std::vector<SettingChange> changes = SettingChanges(before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].Describe(), "ca.name \"anchor\" -> \"fleet\"");
  EXPECT_FALSE(changes[0].needs_restart);
  EXPECT_EQ(changes[1].Describe(), "server.threads 0 -> 4");
  EXPECT_TRUE(changes[1].needs_restart);
  EXPECT_EQ(ChangedSettings(before, after),
            (std::vector<std::string>{"ca.name \"anchor\" -> \"fleet\"", "server.threads 0 -> 4"}));
}

TEST(ConfigFileTest, SettingChangesCompareArraysAsValues) {
  std::string edited(kDefaultToml);
  const size_t server = edited.find("[profiles.server]");
  const size_t line = edited.find("key_types = [", server);
  edited.replace(line, edited.find('\n', line) - line, "key_types = [\"ec-p256\"]");
  const ConfigFile before = ParseConfigFile(kDefaultToml, "before").value();
  const ConfigFile after = ParseConfigFile(edited, "after").value();
  const std::vector<SettingChange> changes = SettingChanges(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "profiles.server.key_types");
  EXPECT_EQ(changes[0].after, "[ \"ec-p256\" ]");
  EXPECT_FALSE(changes[0].needs_restart);
  EXPECT_TRUE(SettingChanges(after, after).empty());
}

// The table a caller already parsed (a reload checks [ca] in it first) reads as the text does.
TEST(ConfigFileTest, ParseConfigFileTakesAParsedTable) {
  std::string edited(kDefaultToml);
  edited.replace(edited.find("\nthreads = 0\n"), 13, "\nthreads = 4\n");
  const toml::table root = toml_fields::ParseToml(edited, "anchor.toml").value();
  const Result<ConfigFile> parsed = ParseConfigFile(root, "anchor.toml");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->server.threads, 4);
  EXPECT_EQ(ConfigFileToml(*parsed), edited);
  EXPECT_THAT(
      ParseConfigFile(toml_fields::ParseToml("[server]\nthread = 4\n", "x").value(), "anchor.toml"),
      ErrorIs(Code::kInvalidArgument));
}

TEST(ConfigFileTest, TheStoreUrlIsAPostgresUriWithoutAPassword) {
  const std::string base(kDefaultToml);
  const auto with = [&base](const std::string& url) {
    return ParseConfigFile(base + "\n[store]\nurl = \"" + url + "\"\n", "anchor.toml");
  };
  const auto ok = with("postgresql://anchor@db.example:5433/ca?sslmode=verify-full");
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->store.url, "postgresql://anchor@db.example:5433/ca?sslmode=verify-full");
  EXPECT_THAT(with("postgres://anchor:secret@db.example/ca"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(with("postgres://anchor@db.example/ca?password=secret"),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(with("/var/lib/anchor/anchor.db"), ErrorIs(Code::kInvalidArgument));
  // libpq keeps the last of a repeated parameter, and decodes %XX: neither hides a password.
  EXPECT_THAT(with("postgresql://anchor@/ca?host=/tmp&password=s3cret&password="),
              ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(with("postgresql://anchor@/ca?pass%77ord=s3cret"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(with("postgresql://anchor%3As3cret@db.example/ca"), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(with("POSTGRESQL://anchor:s3cret@db.example/ca"), ErrorIs(Code::kInvalidArgument));
  // A URI libpq cannot read is not quoted back (libpq's reason would quote it).
  const auto unreadable = with("postgresql://anchor@[db.example/s3cret");
  ASSERT_THAT(unreadable, ErrorIs(Code::kInvalidArgument));
  EXPECT_EQ(unreadable.error().message().find("s3cret"), std::string::npos)
      << unreadable.error().message();
  EXPECT_THAT(with("postgres://anchor@db.example/ca?nosuchparameter=1"),
              ErrorIs(Code::kInvalidArgument));
  const auto message = with("postgres://anchor:secret@db.example/ca").error().message();
  EXPECT_NE(message.find("store.url"), std::string::npos) << message;
  EXPECT_NE(message.find("PGPASSWORD"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << "the password is repeated: " << message;
  EXPECT_THAT(ParseConfigFile(base + "\n[store]\npath = \"x\"\n", "anchor.toml"),
              ErrorIs(Code::kInvalidArgument));
  // Written back as it was read; a change of it needs a restart.
  const auto back = ParseConfigFile(ConfigFileToml(*ok), "anchor.toml");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->store.url, ok->store.url);
  const std::vector<SettingChange> changes =
      SettingChanges(ParseConfigFile(kDefaultToml, "before").value(), *ok);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "store.url");
  EXPECT_TRUE(changes[0].needs_restart);
}

TEST(ConfigFileTest, TheCrlLeaseIsSecondsForAPostgresStoreOnly) {
  const std::string base =
      std::string(kDefaultToml) + "\n[store]\nurl = \"postgresql://anchor@db.example/ca\"\n";
  const auto defaulted = ParseConfigFile(base, "anchor.toml");
  ASSERT_THAT(defaulted, IsOk());
  EXPECT_EQ(defaulted->store.crl_lease_seconds, 10);
  const auto set = ParseConfigFile(base + "crl_lease_seconds = 4\n", "anchor.toml");
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->store.crl_lease_seconds, 4);
  for (const char* bad : {"0", "601", "\"4\""}) {
    EXPECT_THAT(ParseConfigFile(base + "crl_lease_seconds = " + bad + "\n", "anchor.toml"),
                ErrorIs(Code::kInvalidArgument))
        << bad;
  }
  const auto sqlite =
      ParseConfigFile(std::string(kDefaultToml) + "\n[store]\ncrl_lease_seconds = 4\n", "x");
  ASSERT_THAT(sqlite, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(sqlite.error().message().find("is for a PostgreSQL store"), std::string::npos);
  // Written back only when it is not the default, and read back the same.
  EXPECT_EQ(ConfigFileToml(*defaulted).find("crl_lease_seconds"), std::string::npos);
  EXPECT_EQ(ParseConfigFile(ConfigFileToml(*set), "x").value().store.crl_lease_seconds, 4);
  const std::vector<SettingChange> changes = SettingChanges(*defaulted, *set);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "store.crl_lease_seconds");
  EXPECT_TRUE(changes[0].needs_restart);
}

}  // namespace
}  // namespace anchor::home
