// inflowd's configuration: what it reads, and that every error names the
// file, the line and the key.

#include "config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace inflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kMinimal =
    "influxdb:\n"
    "  url: http://127.0.0.1:8086/telemetry\n"
    "sessions:\n"
    "  - retention_policy: autogen\n";

Config Parse(std::string_view yaml) {
  Config config;
  Status status = ParseConfig(yaml, "test.yaml", &config);
  EXPECT_TRUE(status.ok()) << status.message();
  return config;
}

std::string Error(std::string_view yaml) {
  Config config;
  Status status = ParseConfig(yaml, "test.yaml", &config);
  EXPECT_FALSE(status.ok()) << yaml;
  return status.message();
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(ConfigTest, MinimalConfigTakesTheDefaults) {
  Config config = Parse(kMinimal);
  EXPECT_EQ(config.influxdb.url.host, "127.0.0.1");
  EXPECT_EQ(config.influxdb.database, "telemetry");  // from the URL's path
  EXPECT_FALSE(config.influxdb.unsigned_fields);
  EXPECT_EQ(config.influxdb.request_timeout, seconds(10));
  ASSERT_EQ(config.sessions.size(), 1u);
  EXPECT_EQ(config.sessions[0].retention_policy, "autogen");
  EXPECT_EQ(config.sessions[0].autocommit_every, 5000u);
  EXPECT_EQ(config.sessions[0].commit_interval, seconds(1));
  EXPECT_EQ(config.sessions[0].max_batch_bytes, 1048576u);
  EXPECT_TRUE(config.listeners.empty());
  EXPECT_EQ(config.retention_policy_tag, "");
  EXPECT_EQ(config.redis_url, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(config.spool_directory, "/var/lib/inflowd");
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.shutdown_timeout, seconds(10));
}

TEST(ConfigTest, ReadsTheExampleConfig) {
  Config config;
  Status status = LoadConfig(INFLOW_SOURCE_DIR "/config/inflowd.example.yaml", &config);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(config.influxdb.database, "telemetry");
  ASSERT_EQ(config.sessions.size(), 2u);
  EXPECT_EQ(config.sessions[1].retention_policy, "rp_four_weeks");
  EXPECT_EQ(config.sessions[1].autocommit_every, 500u);
  EXPECT_EQ(config.sessions[1].commit_interval, seconds(10));
  ASSERT_EQ(config.listeners.size(), 4u);
  EXPECT_EQ(config.listeners[0].type, ListenerType::kUdp);
  EXPECT_EQ(config.listeners[0].address, "127.0.0.1:8089");
  EXPECT_EQ(config.listeners[1].type, ListenerType::kUnixStream);
  EXPECT_EQ(config.listeners[1].path, "/run/inflowd/inflowd.sock");
  EXPECT_EQ(config.listeners[2].type, ListenerType::kUnixDgram);
  EXPECT_EQ(config.listeners[3].type, ListenerType::kHttp);
  EXPECT_EQ(config.retention_policy_tag, "rp");
}

// Every option is declared once; the example config and the README show each.
TEST(ConfigTest, ExampleConfigAndReadmeDocumentEveryOption) {
  const std::string example = ReadFile(INFLOW_SOURCE_DIR "/config/inflowd.example.yaml");
  const std::string readme = ReadFile(INFLOW_SOURCE_DIR "/README.md");
  for (const ConfigOption& option : ConfigOptions()) {
    std::string name = option.key.substr(option.key.rfind('.') + 1);
    EXPECT_NE(example.find(name + ":"), std::string::npos) << option.key << " not in the example";
    EXPECT_NE(readme.find("`" + option.key + "`"), std::string::npos)
        << option.key << " not in README.md's reference";
  }
}

TEST(ConfigTest, DatabaseOverridesTheUrlsPath) {
  Config config = Parse(
      "influxdb:\n  url: http://u:p@h:1/a\n  database: b\n"
      "sessions:\n  - retention_policy: autogen\n");
  EXPECT_EQ(config.influxdb.database, "b");
  EXPECT_EQ(config.influxdb.url.username, "u");
  EXPECT_EQ(config.influxdb.url.port, 1);
}

TEST(ConfigTest, ReadsDurations) {
  std::chrono::nanoseconds d;
  ASSERT_TRUE(ParseDuration("1500ms", &d).ok());
  EXPECT_EQ(d, milliseconds(1500));
  ASSERT_TRUE(ParseDuration("2h", &d).ok());
  EXPECT_EQ(d, std::chrono::hours(2));
  ASSERT_TRUE(ParseDuration("0s", &d).ok());
  EXPECT_EQ(d.count(), 0);
  for (const char* bad : {"", "s", "10", "1.5s", "-1s", "10 s", "10sec", "99999999999h"}) {
    EXPECT_FALSE(ParseDuration(bad, &d).ok()) << bad;
  }
}

TEST(ConfigTest, UnknownKeyNamesItsLineAndKey) {
  EXPECT_EQ(Error(std::string(kMinimal) + "sesions: []\n"), "test.yaml:5: sesions: unknown option");
  EXPECT_EQ(Error("sessions:\n  - retention_policy: a\n    autocommit_evry: 5\n"
                  "influxdb:\n  database: d\n"),
            "test.yaml:3: sessions[0].autocommit_evry: unknown option");
}

TEST(ConfigTest, BadValuesNameTheirLineAndKey) {
  EXPECT_EQ(Error(std::string(kMinimal) + "    commit_interval: 1x\n"),
            "test.yaml:5: sessions[0].commit_interval: invalid duration '1x': a whole number and "
            "one of ns, us, ms, s, m, h, such as 500ms");
  EXPECT_EQ(Error(std::string(kMinimal) + "    autocommit_every: many\n"),
            "test.yaml:5: sessions[0].autocommit_every: must be a whole number, not 'many'");
  EXPECT_EQ(Error(std::string(kMinimal) + "    max_batch_bytes: 0\n"),
            "test.yaml:5: sessions[0].max_batch_bytes: must be at least 1");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: tcp\n    address: h:1\n"),
            "test.yaml:6: listeners[0].type: must be udp, unix_dgram, unix_stream or http, not 'tcp'");
  EXPECT_EQ(Error(std::string(kMinimal) + "log:\n  level: loud\n"),
            "test.yaml:6: log.level: must be one of trace, debug, info, warn, error, critical, off");
  EXPECT_EQ(Error("influxdb:\n  url: localhost:8086\n  database: d\nsessions:\n  - retention_policy: a\n"),
            "test.yaml:2: influxdb.url: InfluxDB URL must start with http:// or https://");
  EXPECT_EQ(Error("influxdb:\n  unsigned_fields: yes\n"),
            "test.yaml:2: influxdb.unsigned_fields: must be true or false");
}

TEST(ConfigTest, ChecksWhatSpansOptions) {
  EXPECT_EQ(Error("influxdb:\n  database: d\n"), "test.yaml: sessions: at least one session is needed");
  EXPECT_EQ(Error("sessions:\n  - retention_policy: a\n"),
            "test.yaml: influxdb.database: no database: set it, or give it as the URL's path");
  EXPECT_EQ(Error(std::string(kMinimal) + "  - retention_policy: autogen\n"),
            "test.yaml:5: sessions[1].retention_policy: 'autogen' has a session already");
  EXPECT_EQ(Error(std::string(kMinimal) + "  - autocommit_every: 5\n"),
            "test.yaml:5: sessions[1]: retention_policy is required");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: udp\n"),
            "test.yaml:6: listeners[0]: address is required");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: unix_stream\n    address: h:1\n"),
            "test.yaml:6: listeners[0]: path is required");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: http\n    address: 8186\n"),
            "test.yaml:6: listeners[0].address: must be host:port, not '8186'");
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "listeners:\n  - type: udp\n    address: h:1\n    retention_policy: nope\n"),
            "test.yaml:6: listeners[0].retention_policy: no session has retention policy 'nope'");
}

TEST(ConfigTest, MalformedYamlNamesItsLine) {
  std::string message = Error("sessions:\n  - retention_policy: [a\n");
  EXPECT_EQ(message.rfind("test.yaml:", 0), 0u) << message;
}

TEST(ConfigTest, KeyGivenTwiceIsAnError) {
  EXPECT_EQ(Error(std::string(kMinimal) + "    autocommit_every: 5\n    autocommit_every: 6\n"),
            "test.yaml:6: sessions[0].autocommit_every: given twice");
}

TEST(ConfigTest, MissingFileIsAnError) {
  Config config;
  Status status = LoadConfig("/nonexistent/inflowd.yaml", &config);
  EXPECT_EQ(status.message(), "/nonexistent/inflowd.yaml: cannot open the configuration file");
}

}  // namespace
}  // namespace inflow::daemon
